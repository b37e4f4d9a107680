-- name: usage_hours_of_days
-- returns: the columns of usage_hourly (one row per hour and keys of the given UTC days: the rows commits appended, summed)
-- params: $days DATE[], $first_day DATE, $last_day DATE
-- $first_day and $last_day bound the scan (zone maps on hour); $days says which days.
SELECT
    hour, deployment, model, region, deployment_type, tenant_id, apim_subscription, service,
    filter_action, incident_end_user, service_tier, context_tier,
    sum(requests) AS requests,
    sum(errors) AS errors,
    sum(throttled) AS throttled,
    sum(unknown_deployment) AS unknown_deployment,
    sum(synthetic) AS synthetic,
    sum(unknown_tokens) AS unknown_tokens,
    sum(input_tokens) AS input_tokens,
    sum(cached_input_tokens) AS cached_input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(reasoning_tokens) AS reasoning_tokens,
    sum(cache_write_tokens) AS cache_write_tokens
FROM usage_hourly
WHERE hour >= CAST($first_day AS TIMESTAMPTZ)
    AND hour < CAST($last_day AS TIMESTAMPTZ) + INTERVAL 1 day
    AND list_contains($days, CAST(hour AS DATE))
GROUP BY ALL
ORDER BY hour;
