-- name: latency_in_scope
-- returns: deployment, deployment_type, bucket, durations, ttfts, speeds (the scope's latency sketch over the whole range: per deployment, billed type and sketch bucket, the calls counted in it per measure)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- Read once per scope over a long range and kept as the relation scoped_latency, which the
-- Deployments page's stats and histogram sum (deployment_stats_from_sketches.sql,
-- latency_histogram_from_sketches.sql): one read of the sketch instead of one each. Whole
-- days from latency_daily, the hours around them from latency_hourly and the calls (the
-- edges' partial hours). A few thousand rows (deployments x buckets). p95 over time reads
-- the sketch itself in its buckets (latency_over_time_from_sketches.sql): kept per day,
-- this relation held most of the daily sketch's rows and cost more to read and keep than
-- a read of its own saves.
SELECT
    deployment,
    deployment_type,
    bucket,
    CAST(sum(duration_calls) AS BIGINT) AS durations,
    CAST(sum(ttft_calls) AS BIGINT) AS ttfts,
    CAST(sum(speed_calls) AS BIGINT) AS speeds
FROM latency_source($start, $end, true, $tenants, $deployments, $models, $types, $services)
GROUP BY ALL;
