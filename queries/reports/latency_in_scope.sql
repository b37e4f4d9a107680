-- name: latency_in_scope
-- returns: period, deployment, deployment_type, bucket, durations, ttfts, speeds (the scope's latency sketch: per time bucket of $bucket (whole hours from UTC midnight), deployment, billed type and sketch bucket, the calls counted in it per measure)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $bucket INTERVAL
-- Read once per scope over a long range and kept as the relation scoped_latency, which the
-- Deployments page's latency reports sum (deployment_stats_from_sketches.sql,
-- latency_histogram_from_sketches.sql, latency_over_time_from_sketches.sql): one read of
-- the sketch instead of one each. Whole days from latency_daily when $bucket is whole days.
SELECT
    hours_bucket($bucket, hour) AS period,
    deployment,
    deployment_type,
    bucket,
    CAST(sum(duration_calls) AS BIGINT) AS durations,
    CAST(sum(ttft_calls) AS BIGINT) AS ttfts,
    CAST(sum(speed_calls) AS BIGINT) AS speeds
FROM latency_source(
    $start, $end, epoch($bucket) % 86400 = 0, $tenants, $deployments, $models, $types, $services
)
GROUP BY ALL;
