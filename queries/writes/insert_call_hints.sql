-- name: insert_call_hints
-- returns: nothing; keeps what the child HTTP spans of the registered relation incoming_hints (call_id, start_time, deployment, api_version, endpoint, http_status) say, for model-call spans that arrive later
-- params:
INSERT INTO call_hints BY NAME
SELECT * FROM incoming_hints;
