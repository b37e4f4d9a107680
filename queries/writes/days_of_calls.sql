-- name: days_of_calls
-- returns: day (one row per distinct UTC day of the given calls, stored with a start time in [$window_start, $window_end])
-- params: $call_ids VARCHAR[], $window_start TIMESTAMPTZ, $window_end TIMESTAMPTZ
SELECT DISTINCT CAST(start_time AS DATE) AS day
FROM calls
WHERE start_time BETWEEN $window_start AND $window_end AND list_contains($call_ids, call_id);
