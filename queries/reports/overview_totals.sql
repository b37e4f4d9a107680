-- name: overview_totals
-- returns: calls, errors, error_rate, filtered_calls, filtered_rate, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, tokens, payg_cost_usd, unpriced_calls, deployments, unknown_deployment_calls, demo_calls (one row, for the scope)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- filtered_calls counts content-filter incidents: prompts blocked and completions filtered.
WITH f AS (SELECT * FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)),
spend AS (
    SELECT
        coalesce(sum(payg_cost_usd), 0) AS payg_cost_usd,
        coalesce(sum(requests) FILTER (WHERE NOT priced), 0) AS unpriced_calls
    FROM filtered_usage($start, $end, $tenants, $deployments, $models, $types, $services)
)
SELECT
    count(*) AS calls,
    count(*) FILTER (WHERE status = 'error') AS errors,
    coalesce(count(*) FILTER (WHERE status = 'error') / nullif(count(*), 0), 0) AS error_rate,
    count(*) FILTER (WHERE filter_action IN ('blocked_prompt', 'filtered_completion'))
        AS filtered_calls,
    coalesce(
        count(*) FILTER (WHERE filter_action IN ('blocked_prompt', 'filtered_completion'))
        / nullif(count(*), 0), 0
    ) AS filtered_rate,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(cached_input_tokens), 0) AS cached_input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens,
    coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0) AS tokens,
    (SELECT payg_cost_usd FROM spend) AS payg_cost_usd,
    (SELECT unpriced_calls FROM spend) AS unpriced_calls,
    count(DISTINCT deployment) AS deployments,
    count(*) FILTER (WHERE deployment_source = 'unknown') AS unknown_deployment_calls,
    -- Synthetic calls: the demo history and live traffic of `aoai-lens serve --demo` carry
    -- the resource attribute lens.demo; answers of the built-in simulator say
    -- azure.openai.simulated.
    count(*) FILTER (
        WHERE (CAST(attributes AS VARCHAR) LIKE '%lens.demo%'
                AND json_extract_string(attributes, '$.resource."lens.demo"') = 'true')
            OR (CAST(attributes AS VARCHAR) LIKE '%azure.openai.simulated%'
                AND json_extract_string(attributes, '$."azure.openai.simulated"') = 'true')
    ) AS demo_calls
FROM f;
