-- name: fill_latency_hours
-- returns: nothing; latency_hourly counted again for the given UTC hours from their calls (after clear_latency_hours), one row per hour, keys and bucket
-- params: $hours TIMESTAMPTZ[], $first_hour TIMESTAMPTZ, $last_hour TIMESTAMPTZ
-- $first_hour and $last_hour, the first and last of $hours, bound the scan of the calls.
INSERT INTO latency_hourly BY NAME
SELECT *
FROM hourly_latency_between('calls', $first_hour, $last_hour + INTERVAL 1 hour)
WHERE list_contains($hours, hour)
ORDER BY hour;
