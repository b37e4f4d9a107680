-- name: usage_daily_drift
-- returns: day, deployment, ledger_requests, summary_requests, ledger_tokens, summary_tokens (one row per day x deployment where the daily summary and the calls disagree; must be none)
-- params:
WITH ledger AS (
    SELECT
        CAST(start_time AS DATE) AS day,
        deployment,
        count(*) AS requests,
        coalesce(sum(input_tokens), 0) + coalesce(sum(output_tokens), 0) AS tokens
    FROM calls
    GROUP BY ALL
),
summary AS (
    SELECT day, deployment, sum(requests) AS requests,
           sum(input_tokens) + sum(output_tokens) AS tokens
    FROM usage_daily
    GROUP BY ALL
)
SELECT
    day,
    deployment,
    l.requests AS ledger_requests,
    s.requests AS summary_requests,
    l.tokens AS ledger_tokens,
    s.tokens AS summary_tokens
FROM ledger AS l
FULL JOIN summary AS s USING (day, deployment)
WHERE l.requests IS DISTINCT FROM s.requests OR l.tokens IS DISTINCT FROM s.tokens
ORDER BY day, deployment;
