-- name: source_health
-- returns: one row per source (otlp and each Log Analytics source given or with state): source, configured, last_success, watermark, lag_minutes (now - watermark, or now - last OTLP ingest), rows_last_hour, last_error, last_error_hint, last_error_at
-- params: $sources VARCHAR[], $now TIMESTAMPTZ
WITH otlp AS (
    SELECT
        'otlp' AS source,
        true AS configured,
        max(received_at) FILTER (WHERE calls > 0) AS last_success,
        max(received_at) FILTER (WHERE calls > 0) AS watermark,
        coalesce(sum(calls) FILTER (WHERE received_at >= $now - INTERVAL 1 HOUR), 0)
            AS rows_last_hour
    FROM ingest_log
    WHERE source = 'otlp'
),
pulled AS (
    SELECT source, sum(rows_read) AS rows_last_hour
    FROM source_pulls
    WHERE pulled_at >= $now - INTERVAL 1 HOUR
    GROUP BY source
),
named AS (
    SELECT unnest($sources) AS source
),
log_analytics AS (
    SELECT
        coalesce(n.source, s.source) AS source,
        n.source IS NOT NULL AS configured,
        s.last_success_at AS last_success,
        s.watermark,
        coalesce(p.rows_last_hour, 0) AS rows_last_hour,
        s.last_error,
        s.last_error_hint,
        s.last_error_at
    FROM named AS n
    FULL OUTER JOIN source_state AS s ON s.source = n.source
    LEFT JOIN pulled AS p ON p.source = coalesce(n.source, s.source)
)
SELECT
    source, configured, last_success, watermark,
    date_diff('second', watermark, $now) / 60.0 AS lag_minutes,
    rows_last_hour,
    CAST(NULL AS VARCHAR) AS last_error,
    CAST(NULL AS VARCHAR) AS last_error_hint,
    CAST(NULL AS TIMESTAMPTZ) AS last_error_at
FROM otlp
UNION ALL
SELECT
    source, configured, last_success, watermark,
    date_diff('second', watermark, $now) / 60.0 AS lag_minutes,
    rows_last_hour, last_error, last_error_hint, last_error_at
FROM log_analytics
ORDER BY source = 'otlp' DESC, source;
