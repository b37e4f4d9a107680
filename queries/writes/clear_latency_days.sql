-- name: clear_latency_days
-- returns: nothing; removes the hours of the given UTC days from latency_hourly (fill_latency_days counts them again)
-- params: $days DATE[]
DELETE FROM latency_hourly WHERE list_contains($days, CAST(hour AS DATE));
