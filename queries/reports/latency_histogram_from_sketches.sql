-- name: latency_histogram_from_sketches
-- returns: family, bin_ms, calls (one row per deployment family x latency bin; bin_ms is the bin's lower edge, the last bin holds everything from $max_ms up)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $bin_ms DOUBLE, $max_ms DOUBLE
-- latency_histogram.sql over a long range from the latency sketch: each bucket's calls go
-- to the bin of its value (within 1 % of each call's duration), so a call within 1 % of a
-- bin's edge may be counted in the bin beside it.
WITH counts AS (
    SELECT deployment_type, bucket, sum(duration_calls) AS durations
    FROM latency_source($start, $end, true, $tenants, $deployments, $models, $types, $services)
    WHERE duration_calls > 0
    GROUP BY ALL
)
SELECT
    deployment_family(deployment_type) AS family,
    least(floor(bucket_value(bucket) / $bin_ms) * $bin_ms, $max_ms) AS bin_ms,
    CAST(sum(durations) AS BIGINT) AS calls
FROM counts
GROUP BY ALL
ORDER BY family, bin_ms;
