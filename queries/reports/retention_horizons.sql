-- name: retention_horizons
-- returns: calls_purged_before, content_purged_before (one row; NULL where nothing was purged)
-- params:
SELECT calls_purged_before, content_purged_before FROM retention_state;
