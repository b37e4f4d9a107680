-- name: overview_totals
-- returns: calls, errors, error_rate, filtered_calls, filtered_rate, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, tokens, payg_cost_usd, unpriced_calls (no price, or tokens unknown), unknown_token_calls (answered calls whose source gave no token counts: their cost is unknown, not $0), deployments, unknown_deployment_calls, demo_calls (one row, for the scope of the registered relation scoped_usage)
-- params:
-- filtered_calls counts content-filter incidents: prompts blocked and completions filtered.
-- demo_calls counts synthetic calls (00_call_flags.sql). Hours known only from Log
-- Analytics rollups count too.
SELECT
    coalesce(sum(requests), 0) AS calls,
    coalesce(sum(errors), 0) AS errors,
    coalesce(sum(errors) / nullif(sum(requests), 0), 0) AS error_rate,
    coalesce(sum(requests) FILTER (
        WHERE filter_action IN ('blocked_prompt', 'filtered_completion')), 0) AS filtered_calls,
    coalesce(
        sum(requests) FILTER (WHERE filter_action IN ('blocked_prompt', 'filtered_completion'))
        / nullif(sum(requests), 0), 0
    ) AS filtered_rate,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(cached_input_tokens), 0) AS cached_input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens,
    coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0) AS tokens,
    coalesce(sum(payg_cost_usd), 0) AS payg_cost_usd,
    coalesce(sum(requests) FILTER (WHERE NOT priced), 0)
        + coalesce(sum(unknown_tokens) FILTER (WHERE priced), 0) AS unpriced_calls,
    coalesce(sum(unknown_tokens), 0) AS unknown_token_calls,
    count(DISTINCT deployment) AS deployments,
    coalesce(sum(unknown_deployment), 0) AS unknown_deployment_calls,
    coalesce(sum(synthetic), 0) AS demo_calls
FROM scoped_usage;
