-- name: clear_usage_daily
-- returns: nothing
-- params:
DELETE FROM usage_daily;
