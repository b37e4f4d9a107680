-- name: latency_daily_rows_of_calls
-- returns: the rows of latency_daily summed from the rows of latency_hourly in the registered relation summed_hours (latency_hourly_rows_of_calls of the same calls), to be appended by append_latency_daily_rows when a commit inserts every one of those calls
-- params:
-- Run on a reader's cursor before the commit (collectors/writes.py summaries_of), so the
-- writer only appends rows; the hours are summed from the calls once, not twice.
SELECT * FROM daily_latency_of_hours('summed_hours');
