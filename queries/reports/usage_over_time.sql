-- name: usage_over_time
-- returns: bucket, {group_by}, calls, errors, input_tokens, output_tokens, tokens (one row per bucket x group)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $bucket INTERVAL
-- choices: group_by = deployment|tenant_id
SELECT
    time_bucket($bucket, start_time) AS bucket,
    {group_by},
    count(*) AS calls,
    count(*) FILTER (WHERE status = 'error') AS errors,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0) AS tokens
FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
GROUP BY ALL
ORDER BY bucket, {group_by};
