-- name: insert_usage_rollups
-- returns: nothing; rollup rows from the registered relation incoming_rollups
-- params:
INSERT INTO usage_rollups BY NAME SELECT * FROM incoming_rollups;
