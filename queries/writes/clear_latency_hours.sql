-- name: clear_latency_hours
-- returns: nothing; removes the given UTC hours from latency_hourly (fill_latency_hours counts them again)
-- params: $hours TIMESTAMPTZ[], $first_hour TIMESTAMPTZ, $last_hour TIMESTAMPTZ
-- $first_hour and $last_hour, the first and last of $hours, bound the scan.
DELETE FROM latency_hourly
WHERE hour >= $first_hour AND hour <= $last_hour AND list_contains($hours, hour);
