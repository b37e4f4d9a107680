-- name: reconcile_lens_costs
-- returns: day, resource, model, deployment_type, token_class, lens_cost_usd (the lens's cost in [start, end) per UTC day, Azure resource (the account name of the calls' endpoint host), base model, billed deployment type and token class: input, cached_input, output from the price book, provisioned from the deployments registry with empty model and type)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
-- A provisioned deployment's hours go to the resource most of its calls in the range went to.
WITH calls_costed AS (
    SELECT
        u.day,
        resource_name(c.endpoint) AS resource,
        coalesce(u.base_model, '') AS model,
        u.billed_type AS deployment_type,
        u.input_cost_usd,
        u.cached_input_cost_usd,
        u.output_cost_usd
    FROM costed_usage($start, $end, true) AS u
    JOIN calls AS c ON c.call_id = u.call_id AND c.start_time = u.start_time
    WHERE u.billing = 'tokens'
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
