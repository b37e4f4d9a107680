-- name: fill_latency_days
-- returns: nothing; latency_hourly counted again for the hours of the given UTC days, or for every hour when $days is null (after clear_latency_days or clear_latency_hourly), one row per hour, keys and bucket
-- params: $days DATE[]
INSERT INTO latency_hourly BY NAME
SELECT *
FROM hourly_latency_of('calls')
WHERE $days IS NULL OR list_contains($days, CAST(hour AS DATE))
ORDER BY hour;
