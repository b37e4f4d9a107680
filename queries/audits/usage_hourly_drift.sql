-- name: usage_hourly_drift
-- returns: hour, deployment, ledger_requests, summary_requests, ledger_errors, summary_errors, ledger_tokens, summary_tokens (one row per hour x deployment where the hourly summary and the calls disagree, from calls_kept_from() on: the hours of purged calls have only their summary; must be none)
-- params:
WITH ledger AS (
    SELECT
        date_trunc('hour', start_time) AS hour,
        deployment,
        weighted(sum(call_weight(sample_weight))) AS requests,
        weighted(sum(call_weight(sample_weight)) FILTER (WHERE status = 'error')) AS errors,
        weighted(sum(input_tokens * call_weight(sample_weight)))
            + weighted(sum(output_tokens * call_weight(sample_weight))) AS tokens
    FROM calls
    WHERE start_time >= calls_kept_from()
    GROUP BY ALL
),
summary AS (
    SELECT hour, deployment, sum(requests) AS requests, sum(errors) AS errors,
           sum(input_tokens) + sum(output_tokens) AS tokens
    FROM usage_hourly
    WHERE hour >= calls_kept_from()
    GROUP BY ALL
)
SELECT
    hour,
    deployment,
    l.requests AS ledger_requests,
    s.requests AS summary_requests,
    l.errors AS ledger_errors,
    s.errors AS summary_errors,
    l.tokens AS ledger_tokens,
    s.tokens AS summary_tokens
FROM ledger AS l
FULL JOIN summary AS s USING (hour, deployment)
WHERE l.requests IS DISTINCT FROM s.requests
    OR l.errors IS DISTINCT FROM s.errors
    OR l.tokens IS DISTINCT FROM s.tokens
ORDER BY hour, deployment;
