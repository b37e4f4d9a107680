-- name: unpriced_hours
-- returns: hour, calls (one row per hour that starts a row of unpriced usage in the scope: a day's group of calls from UTC midnight, or a call at the range's edges; calls counts the calls of those rows, newest hour first)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- Where the Calls explorer looks for the newest unpriced calls (queries/calls.py), read
-- from the hourly summary (filtered_usage(), whole hours summed per day) instead of pricing
-- every call: an unpriced call is in a row of unpriced usage (the row has the call's price
-- key, and tokens and output tokens whenever the call has them), and every call of a row
-- starts at or after the row's hour. A row's calls are not all unpriced (it counts its calls
-- without tokens too, and a call without output tokens may be priced where the row is not),
-- so this only says where to start looking; the search prices each call from there.
SELECT u.hour, sum(u.requests) AS calls
FROM filtered_usage(
    $start, $end, $tenants, $deployments, $models, $types, $services, hours := 24
) AS u
LEFT JOIN deployment_types AS t ON t.deployment_type = u.deployment_type
WHERE unpriced_usage(u.input_tokens + u.output_tokens, u.priced, t.billing, u.deployment)
GROUP BY u.hour
ORDER BY u.hour DESC;
