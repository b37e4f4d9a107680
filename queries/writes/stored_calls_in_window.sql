-- name: stored_calls_in_window
-- returns: call_id of each of $call_ids already stored under that call_id with a start time in [$window_start, $window_end]
-- params: $call_ids VARCHAR[], $window_start TIMESTAMPTZ, $window_end TIMESTAMPTZ
-- A call keeps its start time when it is sent again, so the window around a batch's start
-- times finds it; zone maps on start_time skip the row groups of other times, and call_key
-- (8 bytes, call_key_of(call_id) as insert_calls stores it) is compared before
-- call_id. The ids come as a list, not a registered table: a lookup that finds nothing
-- (the common case) then costs about half as much.
WITH incoming AS (SELECT unnest($call_ids) AS call_id)
SELECT c.call_id
FROM calls AS c
SEMI JOIN incoming AS i
    ON c.call_key = call_key_of(i.call_id) AND c.call_id = i.call_id
WHERE c.start_time BETWEEN $window_start AND $window_end;
