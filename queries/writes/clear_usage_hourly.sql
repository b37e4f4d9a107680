-- name: clear_usage_hourly
-- returns: nothing
-- params:
DELETE FROM usage_hourly;
