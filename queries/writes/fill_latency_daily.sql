-- name: fill_latency_daily
-- returns: nothing; latency_daily summed again from latency_hourly for the given UTC days, or for every day when $days is null (after clear_latency_daily), one row per day, keys and bucket
-- params: $days DATE[], $first_day DATE, $last_day DATE
-- $first_day and $last_day (null with $days) bound the scan of latency_hourly.
INSERT INTO latency_daily BY NAME
SELECT
    CAST(hour AS DATE) AS day, deployment, model, deployment_type, tenant_id,
    apim_subscription, service, bucket,
    sum(duration_calls) AS duration_calls,
    sum(ttft_calls) AS ttft_calls,
    sum(speed_calls) AS speed_calls
FROM latency_hourly
WHERE hour >= coalesce(CAST($first_day AS TIMESTAMPTZ), TIMESTAMPTZ '-infinity')
    AND hour < coalesce(CAST($last_day AS TIMESTAMPTZ) + INTERVAL 1 day, TIMESTAMPTZ 'infinity')
    AND ($days IS NULL OR list_contains($days, CAST(hour AS DATE)))
GROUP BY ALL
ORDER BY day;
