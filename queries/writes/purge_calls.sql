-- name: purge_calls
-- returns: nothing; deletes the calls that started before $before (their hours stay in usage_hourly)
-- params: $before TIMESTAMPTZ
DELETE FROM calls WHERE start_time < $before;
