-- name: overview_totals
-- returns: calls, errors, error_rate, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, tokens, payg_cost_usd, unpriced_calls, deployments, unknown_deployment_calls, demo_calls (one row)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
SELECT
    count(*) AS calls,
    count(*) FILTER (WHERE c.status = 'error') AS errors,
    coalesce(count(*) FILTER (WHERE c.status = 'error') / nullif(count(*), 0), 0) AS error_rate,
    coalesce(sum(c.input_tokens), 0) AS input_tokens,
    coalesce(sum(c.cached_input_tokens), 0) AS cached_input_tokens,
    coalesce(sum(c.output_tokens), 0) AS output_tokens,
    coalesce(sum(c.reasoning_tokens), 0) AS reasoning_tokens,
    coalesce(sum(c.input_tokens), 0) + coalesce(sum(c.output_tokens), 0) AS tokens,
    (SELECT coalesce(sum(payg_cost_usd), 0) FROM costed_usage($start, $end, false))
        AS payg_cost_usd,
    (SELECT coalesce(sum(requests) FILTER (WHERE NOT priced), 0)
        FROM costed_usage($start, $end, false)) AS unpriced_calls,
    count(DISTINCT c.deployment) AS deployments,
    count(*) FILTER (WHERE c.deployment_source = 'unknown') AS unknown_deployment_calls,
    -- Synthetic calls of `aoai-lens serve --demo` carry the resource attribute lens.demo.
    count(*) FILTER (
        WHERE json_extract_string(c.attributes, '$.resource."lens.demo"') = 'true'
    ) AS demo_calls
FROM calls AS c
WHERE c.start_time >= $start AND c.start_time < $end;
