-- name: alerts_fired
-- returns: scope_kind, scope, rule, threshold_pct (one row per alert already fired in $month, whatever its delivery)
-- params: $month VARCHAR
SELECT DISTINCT scope_kind, scope, rule, threshold_pct
FROM alert_log
WHERE month = $month
ORDER BY ALL;
