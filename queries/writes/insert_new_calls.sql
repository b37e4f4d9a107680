-- name: insert_new_calls
-- returns: nothing; inserts every call of the registered relation incoming_calls, none of which may be stored yet (stored_call_ids found them): a stored call_id fails the statement
-- params:
INSERT INTO calls BY NAME
SELECT * FROM incoming_calls;
