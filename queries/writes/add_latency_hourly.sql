-- name: add_latency_hourly
-- returns: nothing; appends the bucket counts of the registered relation new_calls (the calls one commit really inserted) to latency_hourly
-- params:
-- Run in the same transaction as the insert and add_usage_hourly. Rows are appended, not
-- merged: readers sum a bucket's rows, and compact_latency_days sums a day into one row per
-- bucket again.
INSERT INTO latency_hourly BY NAME
SELECT * FROM hourly_latency_of('new_calls');
