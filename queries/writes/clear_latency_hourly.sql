-- name: clear_latency_hourly
-- returns: nothing; empties latency_hourly (fill_latency_days with no days fills it again)
-- params:
DELETE FROM latency_hourly;
