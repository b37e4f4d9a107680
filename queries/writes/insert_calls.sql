-- name: insert_calls
-- returns: nothing; inserts every call of the registered relation incoming_calls (none stored yet: stored_calls_in_window found those), with its call_key
-- params:
INSERT INTO calls BY NAME
SELECT *, md5_number_lower(call_id) AS call_key
FROM incoming_calls;
