-- name: insert_calls
-- returns: one NULL a row inserted, dropped (it only chooses the plan: see below); inserts every call of rows_in_hand, the incoming calls (queries.execute_over; none stored yet: stored_calls_in_window found those), with its call_key
-- params:
-- call_key_of() (00_call_key.sql): md5_number_lower's value without its bit string.
-- RETURNING NULL (the result is dropped) makes DuckDB plan a plain insert: on more than
-- one thread it plans a batch insert, whose per-thread row collections cost a commit's
-- few thousand rows more than they save (decision 0041).
INSERT INTO calls BY NAME
SELECT *, call_key_of(call_id) AS call_key
FROM rows_in_hand
RETURNING NULL;
