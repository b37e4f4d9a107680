-- name: latency_in_scope
-- returns: period, deployment, deployment_type, bucket, durations, ttfts, speeds (the scope's latency sketch: per UTC day, deployment, billed type and sketch bucket, the calls counted in it per measure)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- Read once per scope over a long range and kept as the relation scoped_latency, which the
-- Deployments page's latency reports sum (deployment_stats_from_sketches.sql,
-- latency_histogram_from_sketches.sql and, in buckets of whole days,
-- latency_days_from_sketches.sql): one read of the sketch instead of one each. Whole days
-- from latency_daily, the hours around them from latency_hourly and the calls (the edges'
-- partial hours); each row's period is its UTC day. p95 over time in buckets of hours
-- reads latency_hourly itself (latency_over_time_from_sketches.sql): a read of every
-- hour would cost the stats and the histogram more than it saves.
SELECT
    hours_bucket(INTERVAL 1 day, hour) AS period,
    deployment,
    deployment_type,
    bucket,
    CAST(sum(duration_calls) AS BIGINT) AS durations,
    CAST(sum(ttft_calls) AS BIGINT) AS ttfts,
    CAST(sum(speed_calls) AS BIGINT) AS speeds
FROM latency_source(
    $start, $end, true, $tenants, $deployments, $models, $types, $services
)
GROUP BY ALL;
