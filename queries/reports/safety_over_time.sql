-- name: safety_over_time
-- returns: bucket, filter_action, calls (one row per bucket x action other than none, from the registered relation scoped_usage)
-- params: $bucket INTERVAL
-- Usage is kept per UTC hour: $bucket is a whole number of hours.
SELECT time_bucket($bucket, hour) AS bucket, filter_action, sum(requests) AS calls
FROM scoped_usage
WHERE filter_action <> 'none'
GROUP BY ALL
ORDER BY bucket, filter_action;
