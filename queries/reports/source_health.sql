-- name: source_health
-- returns: one row per source (otlp and each Log Analytics source given or with state): source, configured, calls (in the ledger, seen by the source), kept_calls (the calls stored as the source's own rows), represented_calls (the calls those rows stand for: more than kept_calls when the source sampled), without_request_id (its own rows with no request id, which no other source's report of the same call can join), without_deployment (its own rows that name no deployment), last_success, watermark, lag_minutes (now - watermark, or now - last OTLP ingest; 0 when that is ahead of now, as a clock behind the sender's makes it), rows_last_hour, last_error, last_error_hint, last_error_at, warning (what the latest pull stored without, when it was degraded, else null)
-- params: $sources VARCHAR[], $now TIMESTAMPTZ
WITH seen AS (
    SELECT seen_by AS source, count(*) AS calls
    FROM (SELECT unnest(list_prepend(source, coalesce(also_seen_by, []))) AS seen_by FROM calls)
    GROUP BY seen_by
),
own AS (
    SELECT
        source,
        count(*) AS kept_calls,
        count(*) FILTER (WHERE request_id IS NULL) AS without_request_id,
        count(*) FILTER (WHERE deployment = 'unknown') AS without_deployment,
        weighted(sum(call_weight(sample_weight))) AS represented_calls
    FROM calls
    GROUP BY source
),
otlp AS (
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
latest AS (
    SELECT source, arg_max(struct_pack(outcome, error), pulled_at) AS pull
    FROM source_pulls
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
        s.last_error_at,
        CASE WHEN lp.pull.outcome = 'degraded' THEN lp.pull.error END AS warning
    FROM named AS n
    FULL OUTER JOIN source_state AS s ON s.source = n.source
    LEFT JOIN pulled AS p ON p.source = coalesce(n.source, s.source)
    LEFT JOIN latest AS lp ON lp.source = coalesce(n.source, s.source)
)
SELECT
    o.source, o.configured,
    coalesce((SELECT calls FROM seen WHERE seen.source = 'otlp'), 0) AS calls,
    coalesce((SELECT kept_calls FROM own WHERE own.source = 'otlp'), 0) AS kept_calls,
    coalesce((SELECT without_request_id FROM own WHERE own.source = 'otlp'), 0)
        AS without_request_id,
    coalesce((SELECT without_deployment FROM own WHERE own.source = 'otlp'), 0)
        AS without_deployment,
    coalesce((SELECT represented_calls FROM own WHERE own.source = 'otlp'), 0)
        AS represented_calls,
    o.last_success, o.watermark,
    greatest(date_diff('second', o.watermark, $now), 0) / 60.0 AS lag_minutes,
    o.rows_last_hour,
    CAST(NULL AS VARCHAR) AS last_error,
    CAST(NULL AS VARCHAR) AS last_error_hint,
    CAST(NULL AS TIMESTAMPTZ) AS last_error_at,
    CAST(NULL AS VARCHAR) AS warning
FROM otlp AS o
UNION ALL
SELECT
    l.source, l.configured, coalesce(s.calls, 0) AS calls,
    coalesce(w.kept_calls, 0) AS kept_calls, coalesce(w.without_request_id, 0) AS without_request_id,
    coalesce(w.without_deployment, 0) AS without_deployment,
    coalesce(w.represented_calls, 0) AS represented_calls,
    l.last_success, l.watermark,
    greatest(date_diff('second', l.watermark, $now), 0) / 60.0 AS lag_minutes,
    l.rows_last_hour, l.last_error, l.last_error_hint, l.last_error_at, l.warning
FROM log_analytics AS l
LEFT JOIN seen AS s ON s.source = 'loganalytics:' || l.source
LEFT JOIN own AS w ON w.source = 'loganalytics:' || l.source
ORDER BY source = 'otlp' DESC, source;
