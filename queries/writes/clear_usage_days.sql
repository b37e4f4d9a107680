-- name: clear_usage_days
-- returns: nothing; removes the given UTC days from usage_daily (fill_usage_days sums them again)
-- params: $days DATE[]
DELETE FROM usage_daily WHERE list_contains($days, day);
