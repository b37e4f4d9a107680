-- name: overview_totals
-- returns: calls, errors, error_rate, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, tokens, deployments, unknown_deployment_calls, demo_calls (one row)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
SELECT
    count(*) AS calls,
    count(*) FILTER (WHERE status = 'error') AS errors,
    coalesce(count(*) FILTER (WHERE status = 'error') / nullif(count(*), 0), 0) AS error_rate,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(cached_input_tokens), 0) AS cached_input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens,
    coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0) AS tokens,
    count(DISTINCT deployment) AS deployments,
    count(*) FILTER (WHERE deployment_source = 'unknown') AS unknown_deployment_calls,
    -- Synthetic calls of `aoai-lens serve --demo` carry the resource attribute lens.demo.
    count(*) FILTER (
        WHERE json_extract_string(attributes, '$.resource."lens.demo"') = 'true'
    ) AS demo_calls
FROM calls
WHERE start_time >= $start AND start_time < $end;
