-- name: latency_histogram
-- returns: family, bin_ms, calls (one row per deployment family x latency bin; bin_ms is the bin's lower edge, the last bin holds everything from $max_ms up)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $bin_ms DOUBLE, $max_ms DOUBLE
SELECT
    CASE
        WHEN deployment_type ILIKE '%provisioned%' THEN 'provisioned'
        WHEN deployment_type ILIKE '%batch%' THEN 'batch'
        WHEN deployment_type ILIKE 'global%' THEN 'global'
        WHEN deployment_type ILIKE 'datazone%' THEN 'data zone'
        ELSE 'standard'
    END AS family,
    least(floor(duration_ms / $bin_ms) * $bin_ms, $max_ms) AS bin_ms,
    weighted(sum(call_weight(sample_weight))) AS calls
FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
WHERE duration_ms IS NOT NULL
GROUP BY ALL
ORDER BY family, bin_ms;
