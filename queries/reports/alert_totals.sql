-- name: alert_totals
-- returns: fired, delivered, failed (one row: alerts fired with fired_at in [start, end), superseded ones not counted; deliveries to a webhook that succeeded and that failed)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
SELECT
    count(DISTINCT (scope_kind, scope, month, rule, threshold_pct))
        FILTER (WHERE status <> 'superseded') AS fired,
    count(*) FILTER (WHERE status = 'delivered') AS delivered,
    count(*) FILTER (WHERE status = 'failed') AS failed
FROM alert_log
WHERE fired_at >= $start AND fired_at < $end;
