-- name: calls_over_time
-- returns: bucket, deployment, calls, errors, input_tokens, output_tokens, tokens (one row per bucket x deployment)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $bucket INTERVAL
SELECT
    time_bucket($bucket, start_time) AS bucket,
    deployment,
    count(*) AS calls,
    count(*) FILTER (WHERE status = 'error') AS errors,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0) AS tokens
FROM calls
WHERE start_time >= $start AND start_time < $end
GROUP BY ALL
ORDER BY bucket, deployment;
