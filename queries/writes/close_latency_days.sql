-- name: close_latency_days
-- returns: nothing; removes the given UTC days, or every day when $days is null, from latency_open_days, once the latency sketch counts their calls (seal_latency_days, or a rebuild)
-- params: $days DATE[]
DELETE FROM latency_open_days WHERE $days IS NULL OR list_contains($days, day);
