-- name: deployment_stats
-- returns: deployment, deployment_type, family, calls, p50_ms, p95_ms, p99_ms, ttft_p50_ms, ttft_p95_ms, output_tokens_per_s, throttled_rate, error_rate, peak_tpm, tpm_quota, peak_quota_pct (one row per deployment, busiest first)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- Latency is the call's duration; output tokens per second is the median over calls of
-- output tokens / (duration - time to first token). Throttled = HTTP 429. peak_tpm is the
-- input + output tokens of the busiest minute of the busiest hour; tpm_quota comes from
-- deployments.toml (tpm). Counts and tokens are weighted by call_weight(); percentiles are
-- over the stored calls.
WITH f AS NOT MATERIALIZED (SELECT * FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)),
-- The busiest minute is looked for inside each deployment's busiest hour: minute totals
-- for one hour per deployment instead of for every minute of the range.
per_hour AS (
    SELECT
        deployment,
        epoch_us(start_time) // 3600000000 AS hour,
        sum((coalesce(input_tokens, 0) + coalesce(output_tokens, 0)) * call_weight(sample_weight))
            AS tokens
    FROM f
    GROUP BY ALL
),
-- On a tie, the latest of the busiest hours.
busiest_hour AS (
    SELECT deployment, arg_max(hour, {'tokens': tokens, 'hour': hour}) AS hour
    FROM per_hour
    GROUP BY ALL
),
per_minute AS (
    SELECT
        f.deployment,
        epoch_us(f.start_time) // 60000000 AS minute,
        sum((coalesce(f.input_tokens, 0) + coalesce(f.output_tokens, 0))
            * call_weight(f.sample_weight)) AS tokens
    FROM f
    JOIN busiest_hour AS b
        ON b.deployment = f.deployment AND b.hour = epoch_us(f.start_time) // 3600000000
    GROUP BY ALL
),
peaks AS (SELECT deployment, max(tokens) AS peak_tpm FROM per_minute GROUP BY deployment),
stats AS (
    SELECT
        deployment,
        -- A deployment has one type; calls that say none were given the registry's.
        max(deployment_type) AS deployment_type,
        weighted(sum(call_weight(sample_weight))) AS calls,
        quantile_cont(duration_ms, [0.5, 0.95, 0.99]) AS latency,
        quantile_cont(ttft_ms, [0.5, 0.95]) AS ttft,
        median(output_tokens / ((duration_ms - coalesce(ttft_ms, 0)) / 1000)) FILTER (
            WHERE output_tokens > 0 AND duration_ms > coalesce(ttft_ms, 0)
        ) AS output_tokens_per_s,
        coalesce(sum(call_weight(sample_weight)) FILTER (WHERE http_status = 429), 0)
            / sum(call_weight(sample_weight)) AS throttled_rate,
        coalesce(sum(call_weight(sample_weight)) FILTER (WHERE status = 'error'), 0)
            / sum(call_weight(sample_weight)) AS error_rate
    FROM f
    GROUP BY deployment
)
SELECT
    s.deployment,
    s.deployment_type,
    CASE
        WHEN s.deployment_type ILIKE '%provisioned%' THEN 'provisioned'
        WHEN s.deployment_type ILIKE '%batch%' THEN 'batch'
        WHEN s.deployment_type ILIKE 'global%' THEN 'global'
        WHEN s.deployment_type ILIKE 'datazone%' THEN 'data zone'
        ELSE 'standard'
    END AS family,
    s.calls,
    s.latency[1] AS p50_ms,
    s.latency[2] AS p95_ms,
    s.latency[3] AS p99_ms,
    s.ttft[1] AS ttft_p50_ms,
    s.ttft[2] AS ttft_p95_ms,
    s.output_tokens_per_s,
    s.throttled_rate,
    s.error_rate,
    p.peak_tpm,
    d.tpm_quota,
    p.peak_tpm / d.tpm_quota AS peak_quota_pct
FROM stats AS s
JOIN peaks AS p USING (deployment)
LEFT JOIN deployments AS d USING (deployment)
ORDER BY s.calls DESC, s.deployment;
