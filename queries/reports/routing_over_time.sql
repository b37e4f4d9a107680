-- name: routing_over_time
-- returns: bucket, failovers, throttled, spilled, downgraded (one row per time bucket that has calls)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $bucket INTERVAL
-- Failovers beside 429s: a 429 the caller saw (http_status) and a failover that spared the
-- caller one are counted apart. Counts are weighted by call_weight().
SELECT
    time_bucket($bucket, start_time) AS bucket,
    weighted(sum(call_weight(sample_weight)) FILTER (WHERE failover_from IS NOT NULL))
        AS failovers,
    weighted(sum(call_weight(sample_weight)) FILTER (WHERE http_status = 429)) AS throttled,
    weighted(sum(call_weight(sample_weight)) FILTER (WHERE spillover)) AS spilled,
    weighted(sum(call_weight(sample_weight)) FILTER (
        WHERE service_tier_requested = 'priority' AND service_tier = 'default'
    )) AS downgraded
FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
GROUP BY ALL
ORDER BY bucket;
