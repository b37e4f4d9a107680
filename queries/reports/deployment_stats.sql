-- name: deployment_stats
-- returns: deployment, deployment_type, family, calls, p50_ms, p95_ms, p99_ms, ttft_p50_ms, ttft_p95_ms, output_tokens_per_s, throttled_rate, error_rate, peak_tpm, tpm_quota, peak_quota_pct (one row per deployment, busiest first)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- Latency is the call's duration; output tokens per second is the median over calls of
-- output tokens / (duration - time to first token). Throttled = HTTP 429. peak_tpm is the
-- busiest minute's input + output tokens; tpm_quota comes from deployments.toml (tpm).
WITH f AS (SELECT * FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)),
per_minute AS (
    SELECT
        deployment,
        time_bucket(INTERVAL 1 minute, start_time) AS minute,
        sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0)) AS tokens
    FROM f
    GROUP BY ALL
),
peaks AS (SELECT deployment, max(tokens) AS peak_tpm FROM per_minute GROUP BY deployment),
stats AS (
    SELECT
        deployment,
        mode(deployment_type) AS deployment_type,
        count(*) AS calls,
        quantile_cont(duration_ms, 0.5) AS p50_ms,
        quantile_cont(duration_ms, 0.95) AS p95_ms,
        quantile_cont(duration_ms, 0.99) AS p99_ms,
        quantile_cont(ttft_ms, 0.5) AS ttft_p50_ms,
        quantile_cont(ttft_ms, 0.95) AS ttft_p95_ms,
        median(output_tokens / ((duration_ms - coalesce(ttft_ms, 0)) / 1000)) FILTER (
            WHERE output_tokens > 0 AND duration_ms > coalesce(ttft_ms, 0)
        ) AS output_tokens_per_s,
        count(*) FILTER (WHERE http_status = 429) / count(*) AS throttled_rate,
        count(*) FILTER (WHERE status = 'error') / count(*) AS error_rate
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
    s.p50_ms,
    s.p95_ms,
    s.p99_ms,
    s.ttft_p50_ms,
    s.ttft_p95_ms,
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
