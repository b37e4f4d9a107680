-- name: record_alert_delivery
-- returns: nothing
-- params: $scope_kind VARCHAR, $scope VARCHAR, $month VARCHAR, $rule VARCHAR, $threshold_pct DOUBLE, $webhook_index INTEGER, $status VARCHAR, $attempts INTEGER, $last_error VARCHAR, $delivered_at TIMESTAMPTZ
UPDATE alert_log
SET status = $status, attempts = $attempts, last_error = $last_error, delivered_at = $delivered_at
WHERE scope_kind = $scope_kind AND scope = $scope AND month = $month AND rule = $rule
    AND threshold_pct = $threshold_pct AND webhook_index = $webhook_index;
