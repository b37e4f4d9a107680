-- name: fill_latency_days
-- returns: nothing; latency_hourly counted again for the hours of the given UTC days, or for every hour when $days is null (after clear_latency_days or clear_latency_hourly), one row per hour, keys and bucket
-- params: $days DATE[], $first_day DATE, $last_day DATE
-- $first_day and $last_day (null with $days) bound the scan of the calls to those days.
INSERT INTO latency_hourly BY NAME
SELECT *
FROM hourly_latency_between(
    'calls',
    coalesce(CAST($first_day AS TIMESTAMPTZ), TIMESTAMPTZ '-infinity'),
    coalesce(CAST($last_day AS TIMESTAMPTZ) + INTERVAL 1 day, TIMESTAMPTZ 'infinity')
)
WHERE $days IS NULL OR list_contains($days, CAST(hour AS DATE))
ORDER BY hour;
