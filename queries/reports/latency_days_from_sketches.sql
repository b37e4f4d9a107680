-- name: latency_days_from_sketches
-- returns: bucket, deployment, calls, p50_ms, p95_ms (one row per bucket x deployment, from the registered relation scoped_latency)
-- params: $bucket INTERVAL
-- latency_over_time.sql over a long range in buckets of whole days, from the scope's
-- latency sketch per day (latency_in_scope.sql), percentiles within 1 % of the exact ones.
WITH counts AS (
    SELECT
        hours_bucket($bucket, period) AS period,
        deployment,
        bucket AS b,
        CAST(sum(durations) AS BIGINT) AS durations
    FROM scoped_latency
    WHERE durations > 0
    GROUP BY ALL
),
running AS (
    SELECT
        period,
        deployment,
        b,
        CAST(sum(durations) OVER upto AS BIGINT) AS durations_upto,
        CAST(sum(durations) OVER whole AS BIGINT) AS durations_n
    FROM counts
    WINDOW whole AS (PARTITION BY period, deployment),
        upto AS (PARTITION BY period, deployment ORDER BY b ROWS UNBOUNDED PRECEDING)
)
SELECT
    period AS bucket,
    deployment,
    CAST(max(durations_n) AS BIGINT) AS calls,
    sketch_quantile(b, durations_upto, durations_n, 0.5) AS p50_ms,
    sketch_quantile(b, durations_upto, durations_n, 0.95) AS p95_ms
FROM running
GROUP BY period, deployment
ORDER BY period, deployment;
