-- name: insert_call_hints
-- returns: one NULL a row inserted, dropped (it only chooses the plan: see below); keeps what the child HTTP spans of the registered relation incoming_hints (call_id, start_time, deployment, api_version, endpoint, http_status) say, for model-call spans that arrive later
-- params:
-- RETURNING NULL (the result is dropped) makes DuckDB plan a plain insert: on more than
-- one thread it plans a batch insert, whose per-thread row collections cost a commit's
-- few thousand rows more than they save (decision 0041).
INSERT INTO call_hints BY NAME
SELECT * FROM incoming_hints
RETURNING NULL;
