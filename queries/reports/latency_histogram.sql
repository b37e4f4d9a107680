-- name: latency_histogram
-- returns: family, bin_ms, calls (one row per deployment family x latency bin; bin_ms is the bin's lower edge, the last bin holds everything from $max_ms up)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $bin_ms DOUBLE, $max_ms DOUBLE
-- Bins per deployment type first, then per family: the family's text tests run once a
-- type and bin, not once a call.
WITH bins AS (
    SELECT
        deployment_type,
        least(floor(duration_ms / $bin_ms) * $bin_ms, $max_ms) AS bin_ms,
        sum(call_weight(sample_weight)) AS calls
    FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
    WHERE duration_ms IS NOT NULL
    GROUP BY ALL
)
SELECT
    deployment_family(deployment_type) AS family,
    bin_ms,
    weighted(sum(calls)) AS calls
FROM bins
GROUP BY ALL
ORDER BY family, bin_ms;
