-- name: reconcile
-- returns: day, resource, model, deployment_type, token_class, billed_cost_usd, lens_cost_usd, difference_usd, matched (one row per key of the bill's lines, keyed as finely as their meters name model, type and class, plus one per lens cost no bill line covers; matched false for a row only one side has)
-- params:
-- Reads `bill` (day, resource, model, deployment_type, token_class, billed_cost_usd; '' where
-- a meter does not say, token_class 'other') and `lens` (reconcile_lens_costs). A lens cost
-- goes to the most specific bill key of its day and resource that covers it (a key's empty
-- model or type, or class 'other', covers any); so each cost appears once.
WITH bill_keys AS (
    SELECT day, resource, model, deployment_type, token_class, sum(billed_cost_usd) AS billed
    FROM bill
    GROUP BY ALL
),
candidates AS (
    SELECT
        l.day, l.resource, l.model AS l_model, l.deployment_type AS l_type,
        l.token_class AS l_class, l.lens_cost_usd,
        b.model, b.deployment_type, b.token_class,
        CAST(b.model <> '' AS INTEGER) + CAST(b.deployment_type <> '' AS INTEGER)
            + CAST(b.token_class <> 'other' AS INTEGER) AS specificity
    FROM lens AS l
    JOIN bill_keys AS b
        ON b.day = l.day AND b.resource = l.resource
        AND (b.model = '' OR b.model = l.model)
        AND (b.deployment_type = '' OR b.deployment_type = l.deployment_type)
        AND (b.token_class = 'other' OR b.token_class = l.token_class)
),
placed AS (
    SELECT day, resource, model, deployment_type, token_class, lens_cost_usd
    FROM candidates
    QUALIFY row_number() OVER (
        PARTITION BY day, resource, l_model, l_type, l_class
        ORDER BY specificity DESC, model DESC, deployment_type DESC, token_class
    ) = 1
),
unplaced AS (
    SELECT l.day, l.resource, l.model, l.deployment_type, l.token_class, l.lens_cost_usd
    FROM lens AS l
    ANTI JOIN candidates AS c
        ON c.day = l.day AND c.resource = l.resource AND c.l_model = l.model
        AND c.l_type = l.deployment_type AND c.l_class = l.token_class
),
lens_keys AS (
    SELECT day, resource, model, deployment_type, token_class, sum(lens_cost_usd) AS lens
    FROM (SELECT * FROM placed UNION ALL SELECT * FROM unplaced)
    GROUP BY ALL
)
SELECT
    day,
    resource,
    model,
    deployment_type,
    token_class,
    round(coalesce(b.billed, 0), 6) AS billed_cost_usd,
    round(coalesce(l.lens, 0), 6) AS lens_cost_usd,
    round(coalesce(b.billed, 0), 6) - round(coalesce(l.lens, 0), 6) AS difference_usd,
    b.billed IS NOT NULL AND l.lens IS NOT NULL AS matched
FROM bill_keys AS b
FULL OUTER JOIN lens_keys AS l USING (day, resource, model, deployment_type, token_class)
ORDER BY day, resource, model, deployment_type, token_class;
