-- name: reconcile_lens_costs
-- returns: day, resource, model, deployment_type, token_class, lens_cost_usd (the lens's cost in [start, end) per UTC day, Azure resource (the account name of the calls' endpoint host), base model, billed deployment type and token class: input, cached_input, cache_write, output from the price book, provisioned from the deployments registry with empty model and type)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
-- Costs come from the hourly summary, priced per group; a deployment's cost goes to the
-- resources that served it that day in the share of its tokens they served (all of it when
-- one resource did, as is usual). A provisioned deployment's hours go to the resource most
-- of its calls in the range went to.
WITH costed AS (
    -- the hourly summary's groups (calls only at the range's edges): no per-call pricing
    SELECT
        day,
        deployment,
        coalesce(base_model, '') AS model,
        billed_type AS deployment_type,
        input_cost_usd,
        cached_input_cost_usd,
        output_cost_usd,
        cache_write_cost_usd
    FROM costed_usage($start, $end, false)
    WHERE billing = 'tokens'
),
served AS (
    -- which resources served each deployment each day, by tokens (calls when none)
    SELECT
        CAST(start_time AS DATE) AS day,
        deployment,
        endpoint,
        sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0)) + count(*) / 1e9 AS weight
    FROM calls
    WHERE start_time >= $start AND start_time < $end
    GROUP BY ALL
),
by_resource AS (
    SELECT day, deployment, resource_name(endpoint) AS resource, sum(weight) AS weight
    FROM served
    GROUP BY ALL
),
shares AS (
    SELECT day, deployment, resource,
        weight / sum(weight) OVER (PARTITION BY day, deployment) AS share
    FROM by_resource
),
calls_costed AS (
    SELECT
        c.day,
        coalesce(s.resource, 'unknown') AS resource,
        c.model,
        c.deployment_type,
        c.input_cost_usd * coalesce(s.share, 1) AS input_cost_usd,
        c.cached_input_cost_usd * coalesce(s.share, 1) AS cached_input_cost_usd,
        c.output_cost_usd * coalesce(s.share, 1) AS output_cost_usd,
        c.cache_write_cost_usd * coalesce(s.share, 1) AS cache_write_cost_usd
    FROM costed AS c
    LEFT JOIN shares AS s ON s.day = c.day AND s.deployment IS NOT DISTINCT FROM c.deployment
),
by_class AS (
    SELECT day, resource, model, deployment_type, 'input' AS token_class, input_cost_usd AS cost
    FROM calls_costed
    UNION ALL
    SELECT day, resource, model, deployment_type, 'cached_input', cached_input_cost_usd
    FROM calls_costed
    UNION ALL
    SELECT day, resource, model, deployment_type, 'output', output_cost_usd
    FROM calls_costed
    UNION ALL
    SELECT day, resource, model, deployment_type, 'cache_write', cache_write_cost_usd
    FROM calls_costed
),
home AS (
    SELECT deployment, arg_max(resource, calls) AS resource
    FROM (
        SELECT deployment, resource_name(endpoint) AS resource, count(*) AS calls
        FROM calls
        WHERE start_time >= $start AND start_time < $end
        GROUP BY ALL
    )
    GROUP BY deployment
),
provisioned AS (
    SELECT
        CAST(p.hour AS DATE) AS day,
        coalesce(h.resource, 'unknown') AS resource,
        '' AS model,
        '' AS deployment_type,
        'provisioned' AS token_class,
        p.ptu_cost_usd AS cost
    FROM ptu_allocation($start, $end) AS p
    LEFT JOIN home AS h USING (deployment)
)
SELECT day, resource, model, deployment_type, token_class, sum(cost) AS lens_cost_usd
FROM (SELECT * FROM by_class UNION ALL SELECT * FROM provisioned)
GROUP BY ALL
HAVING sum(cost) <> 0
ORDER BY ALL;
