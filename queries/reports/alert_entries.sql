-- name: alert_entries
-- returns: fired_at, scope_kind, scope, month, rule, threshold_pct, spend_usd, budget_usd, forecast_usd, webhook, status, attempts, last_error, delivered_at (one row per fired alert x webhook with fired_at in [start, end), newest first; statuses filtered by $statuses unless it is empty)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $statuses VARCHAR[]
SELECT
    fired_at, scope_kind, scope, month, rule, threshold_pct, spend_usd, budget_usd,
    forecast_usd, webhook, status, attempts, last_error, delivered_at
FROM alert_log
WHERE fired_at >= $start AND fired_at < $end
    AND (len(CAST($statuses AS VARCHAR[])) = 0
        OR list_contains(CAST($statuses AS VARCHAR[]), status))
ORDER BY fired_at DESC, scope_kind, scope, threshold_pct, webhook_index;
