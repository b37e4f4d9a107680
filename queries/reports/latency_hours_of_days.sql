-- name: latency_hours_of_days
-- returns: the columns of latency_hourly (one row per hour, keys and bucket of the given UTC days: the rows commits appended, summed)
-- params: $days DATE[], $first_day DATE, $last_day DATE
-- $first_day and $last_day bound the scan (zone maps on hour); $days says which days.
SELECT
    hour, deployment, model, deployment_type, tenant_id, apim_subscription, service, bucket,
    CAST(sum(duration_calls) AS INTEGER) AS duration_calls,
    CAST(sum(ttft_calls) AS INTEGER) AS ttft_calls,
    CAST(sum(speed_calls) AS INTEGER) AS speed_calls
FROM latency_hourly
WHERE hour >= CAST($first_day AS TIMESTAMPTZ)
    AND hour < CAST($last_day AS TIMESTAMPTZ) + INTERVAL 1 day
    AND list_contains($days, CAST(hour AS DATE))
GROUP BY ALL
ORDER BY hour;
