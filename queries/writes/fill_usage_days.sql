-- name: fill_usage_days
-- returns: nothing; usage_daily summed again for the given UTC days, or for every day when $days is null (after clear_usage_days or clear_usage_daily)
-- params: $days DATE[]
INSERT INTO usage_daily BY NAME
SELECT *
FROM daily_usage_of('calls')
WHERE $days IS NULL OR list_contains($days, day);
