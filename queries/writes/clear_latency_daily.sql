-- name: clear_latency_daily
-- returns: nothing; removes the given UTC days from latency_daily, or every day when $days is null (fill_latency_daily counts them again)
-- params: $days DATE[]
DELETE FROM latency_daily WHERE $days IS NULL OR list_contains($days, day);
