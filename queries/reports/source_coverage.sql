-- name: source_coverage
-- returns: one row per day x Azure resource: day, resource, calls, otlp_tokens, app_insights_tokens, apim_tokens, diagnostics_calls, metrics_tokens (AzureMetrics: ProcessedPromptTokens + GeneratedTokens, or InputTokens + OutputTokens when they say more: Foundry's non-OpenAI models count only there), rollup_tokens; tokens = input + output
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
-- A call seen by several sources is one row in calls; every source that saw it counts it
-- here (calls.source plus calls.also_seen_by). The resource is resource_name() of the
-- endpoint (aoai-prod.openai.azure.com -> aoai-prod, as AzureMetrics names it). Calls and
-- tokens count each call call_weight() times, as the metrics count every call.
WITH seen AS (
    SELECT
        CAST(start_time AS DATE) AS day,
        resource_name(endpoint) AS resource,
        unnest(list_prepend(source, coalesce(also_seen_by, []))) AS seen_by,
        (coalesce(input_tokens, 0) + coalesce(output_tokens, 0)) * call_weight(sample_weight)
            AS tokens,
        call_weight(sample_weight) AS weight
    FROM calls
    WHERE start_time >= $start AND start_time < $end
),
by_call AS (
    SELECT
        day,
        resource,
        sum(tokens) FILTER (WHERE seen_by = 'otlp') AS otlp_tokens,
        sum(tokens) FILTER (WHERE seen_by = 'loganalytics:app_insights') AS app_insights_tokens,
        sum(tokens) FILTER (WHERE seen_by = 'loganalytics:apim') AS apim_tokens,
        weighted(sum(weight) FILTER (WHERE seen_by = 'loganalytics:azure_diagnostics'))
            AS diagnostics_calls
    FROM seen
    GROUP BY day, resource
),
calls_per_day AS (
    SELECT
        CAST(start_time AS DATE) AS day,
        resource_name(endpoint) AS resource,
        weighted(sum(call_weight(sample_weight))) AS calls
    FROM calls
    WHERE start_time >= $start AND start_time < $end
    GROUP BY ALL
),
metrics AS (
    -- The two pairs may count the same OpenAI tokens, so they are never added together.
    SELECT
        CAST(minute AS DATE) AS day,
        resource,
        greatest(
            sum(total) FILTER (WHERE metric IN ('ProcessedPromptTokens', 'GeneratedTokens')),
            sum(total) FILTER (WHERE metric IN ('InputTokens', 'OutputTokens'))
        ) AS metrics_tokens
    FROM resource_metrics
    WHERE metric IN ('ProcessedPromptTokens', 'GeneratedTokens', 'InputTokens', 'OutputTokens')
        AND minute >= $start AND minute < $end
    GROUP BY ALL
),
rollups AS (
    SELECT CAST(hour AS DATE) AS day, 'unknown' AS resource,
        sum(input_tokens + output_tokens) AS rollup_tokens
    FROM usage_rollups
    WHERE hour >= $start AND hour < $end
    GROUP BY ALL
)
SELECT
    day,
    resource,
    coalesce(k.calls, 0) AS calls,
    coalesce(b.otlp_tokens, 0) AS otlp_tokens,
    coalesce(b.app_insights_tokens, 0) AS app_insights_tokens,
    coalesce(b.apim_tokens, 0) AS apim_tokens,
    coalesce(b.diagnostics_calls, 0) AS diagnostics_calls,
    m.metrics_tokens,
    coalesce(r.rollup_tokens, 0) AS rollup_tokens
FROM by_call AS b
JOIN calls_per_day AS k USING (day, resource)
FULL OUTER JOIN metrics AS m USING (day, resource)
FULL OUTER JOIN rollups AS r USING (day, resource)
ORDER BY day DESC, resource;
