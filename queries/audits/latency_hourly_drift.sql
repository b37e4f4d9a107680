-- name: latency_hourly_drift
-- returns: hour, deployment, ledger_durations, sketch_durations, ledger_ttfts, sketch_ttfts (one row per hour x deployment where the latency sketch and the calls disagree, from calls_kept_from() on, outside the open hours (latency_open_hours: not counted yet): the hours of purged calls have only their sketch; must be none)
-- params:
WITH ledger AS (
    SELECT
        date_trunc('hour', start_time) AS hour,
        deployment,
        count(*) FILTER (WHERE isfinite(duration_ms)) AS durations,
        count(*) FILTER (WHERE isfinite(ttft_ms)) AS ttfts
    FROM calls
    WHERE start_time >= calls_kept_from()
        AND date_trunc('hour', start_time) NOT IN (SELECT hour FROM latency_open_hours)
    GROUP BY ALL
),
sketch AS (
    SELECT hour, deployment, sum(duration_calls) AS durations, sum(ttft_calls) AS ttfts
    FROM latency_hourly
    WHERE hour >= calls_kept_from()
        AND hour NOT IN (SELECT hour FROM latency_open_hours)
    GROUP BY ALL
)
SELECT
    hour,
    deployment,
    l.durations AS ledger_durations,
    s.durations AS sketch_durations,
    l.ttfts AS ledger_ttfts,
    s.ttfts AS sketch_ttfts
FROM ledger AS l
FULL JOIN sketch AS s USING (hour, deployment)
WHERE coalesce(l.durations, 0) <> coalesce(s.durations, 0)
    OR coalesce(l.ttfts, 0) <> coalesce(s.ttfts, 0)
ORDER BY hour, deployment;
