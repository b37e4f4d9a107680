-- name: usage_over_time
-- returns: bucket, {group_by}, calls, errors, input_tokens, output_tokens, tokens (one row per bucket x group, from the registered relation scoped_usage)
-- params: $bucket INTERVAL
-- choices: group_by = deployment|tenant_id
-- Usage is kept per UTC hour: $bucket is a whole number of hours.
SELECT
    time_bucket($bucket, hour) AS bucket,
    {group_by},
    sum(requests) AS calls,
    sum(errors) AS errors,
    sum(input_tokens) AS input_tokens,
    sum(output_tokens) AS output_tokens,
    sum(input_tokens) + sum(output_tokens) AS tokens
FROM scoped_usage
GROUP BY ALL
ORDER BY bucket, {group_by};
