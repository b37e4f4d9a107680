-- name: insert_calls
-- returns: count of rows inserted; reads the registered relation incoming_calls
-- params:
INSERT OR IGNORE INTO calls BY NAME
SELECT * FROM incoming_calls;
