-- name: insert_calls
-- returns: call_id of each row inserted (already stored ids are ignored); reads the registered relation incoming_calls
-- params:
INSERT OR IGNORE INTO calls BY NAME
SELECT * FROM incoming_calls
RETURNING call_id;
