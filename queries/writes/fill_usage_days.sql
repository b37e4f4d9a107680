-- name: fill_usage_days
-- returns: nothing; usage_hourly summed again for the hours of the given UTC days, or for every hour from calls_kept_from() on when $days is null (after clear_usage_days or clear_usage_hourly)
-- params: $days DATE[]
INSERT INTO usage_hourly BY NAME
SELECT *
FROM hourly_usage_of('calls')
WHERE ($days IS NULL AND hour >= calls_kept_from()) OR list_contains($days, CAST(hour AS DATE));
