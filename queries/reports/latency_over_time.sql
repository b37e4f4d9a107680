-- name: latency_over_time
-- returns: bucket, deployment, calls, p50_ms, p95_ms (one row per bucket x deployment)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $bucket INTERVAL
SELECT
    bucket,
    deployment,
    calls,
    latency[1] AS p50_ms,
    latency[2] AS p95_ms
FROM (
    -- One sort of each group's durations for both percentiles. Buckets of whole hours
    -- in integer arithmetic (hours_bucket(): the same buckets, a thirtieth of the cost).
    SELECT
        CASE WHEN epoch($bucket) % 3600 = 0
            THEN hours_bucket($bucket, start_time)
            ELSE time_bucket($bucket, start_time) END AS bucket,
        deployment,
        weighted(sum(call_weight(sample_weight))) AS calls,
        quantile_cont(duration_ms, [0.5, 0.95]) AS latency
    FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
    WHERE duration_ms IS NOT NULL
    GROUP BY ALL
)
ORDER BY bucket, deployment;
