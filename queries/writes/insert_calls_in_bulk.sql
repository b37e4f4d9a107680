-- name: insert_calls_in_bulk
-- returns: nothing; inserts every call of rows_in_hand, the incoming calls (queries.execute_over; none stored yet: stored_calls_in_window found those), with its call_key
-- params:
-- call_key_of() (00_call_key.sql): md5_number_lower's value without its bit string.
-- insert_calls for more rows than a commit of the ingest queue holds (a Log Analytics
-- pull's): planned as DuckDB's batch insert, whose threads convert them faster than
-- the plain insert of the other file (decision 0041).
INSERT INTO calls BY NAME
SELECT *, call_key_of(call_id) AS call_key
FROM rows_in_hand;
