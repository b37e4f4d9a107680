-- name: days_of_calls
-- returns: day (one row per distinct UTC day of the given calls)
-- params: $call_ids VARCHAR[]
SELECT DISTINCT CAST(start_time AS DATE) AS day
FROM calls
WHERE list_contains($call_ids, call_id);
