-- name: append_latency_daily_rows
-- returns: nothing; appends the rows of the registered relation summed_rows (latency_daily_rows_of_calls) to latency_daily
-- params:
-- Run in the transaction that inserts the calls those rows sum, in place of the statement
-- that sums the inserted calls itself.
INSERT INTO latency_daily BY NAME
SELECT * FROM summed_rows;
