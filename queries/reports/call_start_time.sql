-- name: call_start_time
-- returns: start_time (one row, or none for an unknown call id)
-- params: $call_id VARCHAR
-- call_key (the low 64 bits of md5(call_id), 040_calls_keyed_by_hash.sql) is scanned, 8
-- bytes a call, and only the calls it matches compare their id.
SELECT start_time FROM calls WHERE call_key = call_key_of($call_id) AND call_id = $call_id;
