-- name: clear_latency_hourly
-- returns: nothing; empties latency_hourly from calls_kept_from() on (fill_latency_days with no days fills it again; the hours of purged calls are kept: nothing could count them again)
-- params:
DELETE FROM latency_hourly WHERE hour >= calls_kept_from();
