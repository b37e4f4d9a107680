-- name: insert_alert
-- returns: nothing
-- params: $scope_kind VARCHAR, $scope VARCHAR, $month VARCHAR, $rule VARCHAR, $threshold_pct DOUBLE, $spend_usd DECIMAL, $budget_usd DECIMAL, $forecast_usd DECIMAL, $fired_at TIMESTAMPTZ, $webhook_index INTEGER, $webhook VARCHAR, $status VARCHAR
-- Fires once: a row already there for the same key is left as it is.
INSERT INTO alert_log (
    scope_kind, scope, month, rule, threshold_pct, spend_usd, budget_usd, forecast_usd,
    fired_at, webhook_index, webhook, status
) VALUES (
    $scope_kind, $scope, $month, $rule, $threshold_pct, $spend_usd, $budget_usd, $forecast_usd,
    $fired_at, $webhook_index, $webhook, $status
) ON CONFLICT DO NOTHING;
