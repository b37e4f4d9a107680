-- name: clear_latency_days
-- returns: nothing; removes the hours of the given UTC days from latency_hourly (fill_latency_days counts them again)
-- params: $days DATE[], $first_day DATE, $last_day DATE
-- $first_day and $last_day, the first and last of $days, bound the scan.
DELETE FROM latency_hourly
WHERE hour >= CAST($first_day AS TIMESTAMPTZ)
    AND hour < CAST($last_day AS TIMESTAMPTZ) + INTERVAL 1 day
    AND list_contains($days, CAST(hour AS DATE));
