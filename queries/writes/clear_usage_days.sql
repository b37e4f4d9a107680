-- name: clear_usage_days
-- returns: nothing; removes the hours of the given UTC days from usage_hourly (fill_usage_days sums them again)
-- params: $days DATE[]
DELETE FROM usage_hourly WHERE list_contains($days, CAST(hour AS DATE));
