-- name: clear_usage_hourly
-- returns: nothing; empties usage_hourly from calls_kept_from() on (the hours of purged calls are kept: nothing could sum them again)
-- params:
DELETE FROM usage_hourly WHERE hour >= calls_kept_from();
