-- name: usage_rows_of_calls
-- returns: the rows of usage_hourly summed from the calls of the registered relation summed_calls (hourly_usage_of), to be appended by append_usage_rows when a commit inserts every one of those calls
-- params:
-- Run on a reader's cursor before the commit (collectors/writes.py summaries_of), so the
-- writer only appends rows.
SELECT * FROM hourly_usage_of('summed_calls');
