-- name: insert_calls
-- returns: nothing; inserts every call of the registered relation incoming_calls (none stored yet: stored_calls_in_window found those), with its call_key
-- params:
-- call_key is md5_number_lower(call_id), the high 64 bits of md5_number: the macro goes
-- through a bit string, three times dearer (a test holds the two equal).
INSERT INTO calls BY NAME
SELECT *, (md5_number(call_id) >> 64)::UBIGINT AS call_key
FROM incoming_calls;
