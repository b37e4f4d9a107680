-- name: append_latency_hourly_rows
-- returns: one NULL a row inserted, dropped (it only chooses the plan: see below); appends rows_in_hand, the rows summed of the inserted calls (queries.execute_over; latency_hourly_rows_of_calls), to latency_hourly
-- params:
-- Run in the transaction that inserts the calls those rows sum, in place of the statement
-- that sums the inserted calls itself.
-- RETURNING NULL (the result is dropped) makes DuckDB plan a plain insert: on more than
-- one thread it plans a batch insert, whose per-thread row collections cost a commit's
-- few thousand rows more than they save (decision 0041).
INSERT INTO latency_hourly BY NAME
SELECT * FROM rows_in_hand
RETURNING NULL;
