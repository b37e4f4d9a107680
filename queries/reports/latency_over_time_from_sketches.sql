-- name: latency_over_time_from_sketches
-- returns: bucket, deployment, calls, p50_ms, p95_ms (one row per bucket x deployment)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $bucket INTERVAL
-- latency_over_time.sql over a long range from the latency sketch (time buckets of whole
-- hours), percentiles within 1 % of the exact ones.
WITH counts AS (
    SELECT
        hours_bucket($bucket, hour) AS period,
        deployment,
        bucket AS b,
        CAST(sum(duration_calls) AS BIGINT) AS durations
    FROM latency_source($start, $end, epoch($bucket) % 86400 = 0, $tenants, $deployments, $models, $types, $services)
    WHERE duration_calls > 0
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
