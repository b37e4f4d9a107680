-- name: alerts_to_redeliver
-- returns: scope_kind, scope, month, rule, threshold_pct, spend_usd, budget_usd, forecast_usd, fired_at, webhook_index, webhook, attempts (one row per delivery of $month to send again: failed with fewer than $max_attempts attempts, or left pending by a process that stopped)
-- params: $month VARCHAR, $max_attempts INTEGER
SELECT
    scope_kind, scope, month, rule, threshold_pct, CAST(spend_usd AS DOUBLE) AS spend_usd,
    CAST(budget_usd AS DOUBLE) AS budget_usd, CAST(forecast_usd AS DOUBLE) AS forecast_usd,
    fired_at, webhook_index, webhook, attempts
FROM alert_log
WHERE month = $month AND webhook_index >= 0
    AND (status = 'pending' OR (status = 'failed' AND attempts < $max_attempts))
ORDER BY fired_at, scope_kind, scope, rule, threshold_pct, webhook_index;
