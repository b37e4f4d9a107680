-- name: append_usage_rows
-- returns: nothing; appends rows_in_hand, the rows summed of the inserted calls (queries.execute_over; usage_rows_of_calls), to usage_hourly
-- params:
-- Run in the transaction that inserts the calls those rows sum, in place of the statement
-- that sums the inserted calls itself.
INSERT INTO usage_hourly BY NAME
SELECT * FROM rows_in_hand;
