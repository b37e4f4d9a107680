-- name: safety_over_time
-- returns: bucket, filter_action, calls (one row per bucket x action other than none)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $bucket INTERVAL
SELECT time_bucket($bucket, start_time) AS bucket, filter_action, count(*) AS calls
FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
WHERE filter_action <> 'none'
GROUP BY ALL
ORDER BY bucket, filter_action;
