-- name: latency_hourly_in_step
-- returns: in_step (one row: whether latency_hourly counts as many durations, times to first token and output speeds as the ledger holds outside the open hours (latency_open_hours: not counted yet), and latency_daily as many as latency_hourly on the days without an open hour, from calls_kept_from() on; the hours before it outlive their purged calls)
-- params:
WITH open_days AS (
    SELECT DISTINCT CAST(hour AS DATE) AS day FROM latency_open_hours
),
ledger AS (
    SELECT
        count(*) FILTER (WHERE isfinite(duration_ms)) AS durations,
        count(*) FILTER (WHERE isfinite(ttft_ms)) AS ttfts,
        count(*) FILTER (
            WHERE output_tokens > 0 AND duration_ms > coalesce(ttft_ms, 0)
                AND isfinite(output_tokens / ((duration_ms - coalesce(ttft_ms, 0)) / 1000))
        ) AS speeds
    FROM calls
    WHERE start_time >= calls_kept_from()
        AND date_trunc('hour', start_time) NOT IN (SELECT hour FROM latency_open_hours)
),
sketch AS (
    SELECT
        coalesce(sum(duration_calls), 0) AS durations,
        coalesce(sum(ttft_calls), 0) AS ttfts,
        coalesce(sum(speed_calls), 0) AS speeds,
        coalesce(sum(duration_calls) FILTER (WHERE CAST(hour AS DATE) NOT IN (SELECT day FROM open_days)), 0) AS day_durations,
        coalesce(sum(ttft_calls) FILTER (WHERE CAST(hour AS DATE) NOT IN (SELECT day FROM open_days)), 0) AS day_ttfts,
        coalesce(sum(speed_calls) FILTER (WHERE CAST(hour AS DATE) NOT IN (SELECT day FROM open_days)), 0) AS day_speeds
    FROM latency_hourly
    WHERE hour >= calls_kept_from()
        AND hour NOT IN (SELECT hour FROM latency_open_hours)
),
daily AS (
    SELECT
        coalesce(sum(duration_calls), 0) AS durations,
        coalesce(sum(ttft_calls), 0) AS ttfts,
        coalesce(sum(speed_calls), 0) AS speeds
    FROM latency_daily
    WHERE day >= CAST(calls_kept_from() AS DATE)
        AND day NOT IN (SELECT day FROM open_days)
)
SELECT
    l.durations = s.durations AND l.ttfts = s.ttfts AND l.speeds = s.speeds
    AND d.durations = s.day_durations AND d.ttfts = s.day_ttfts AND d.speeds = s.day_speeds
        AS in_step
FROM ledger AS l, sketch AS s, daily AS d;
