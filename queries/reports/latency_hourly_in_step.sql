-- name: latency_hourly_in_step
-- returns: in_step (one row: whether latency_hourly counts as many durations, times to first token and output speeds as the ledger holds, and latency_daily as many as latency_hourly, from calls_kept_from() on and outside the open days (latency_open_days: not counted yet); the hours before it outlive their purged calls)
-- params:
WITH ledger AS (
    SELECT
        count(*) FILTER (WHERE isfinite(duration_ms)) AS durations,
        count(*) FILTER (WHERE isfinite(ttft_ms)) AS ttfts,
        count(*) FILTER (
            WHERE output_tokens > 0 AND duration_ms > coalesce(ttft_ms, 0)
                AND isfinite(output_tokens / ((duration_ms - coalesce(ttft_ms, 0)) / 1000))
        ) AS speeds
    FROM calls
    WHERE start_time >= calls_kept_from()
        AND CAST(start_time AS DATE) NOT IN (SELECT day FROM latency_open_days)
),
sketch AS (
    SELECT
        coalesce(sum(duration_calls), 0) AS durations,
        coalesce(sum(ttft_calls), 0) AS ttfts,
        coalesce(sum(speed_calls), 0) AS speeds
    FROM latency_hourly
    WHERE hour >= calls_kept_from()
        AND CAST(hour AS DATE) NOT IN (SELECT day FROM latency_open_days)
),
daily AS (
    SELECT
        coalesce(sum(duration_calls), 0) AS durations,
        coalesce(sum(ttft_calls), 0) AS ttfts,
        coalesce(sum(speed_calls), 0) AS speeds
    FROM latency_daily
    WHERE day >= CAST(calls_kept_from() AS DATE)
        AND day NOT IN (SELECT day FROM latency_open_days)
)
SELECT
    l.durations = s.durations AND l.ttfts = s.ttfts AND l.speeds = s.speeds
    AND d.durations = s.durations AND d.ttfts = s.ttfts AND d.speeds = s.speeds AS in_step
FROM ledger AS l, sketch AS s, daily AS d;
