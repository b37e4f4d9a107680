-- name: call_start_time
-- returns: start_time (one row, or none for an unknown call id)
-- params: $call_id VARCHAR
SELECT start_time FROM calls WHERE call_id = $call_id;
