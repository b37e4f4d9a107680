-- name: spend_over_time
-- returns: day, {group_by}, payg_cost_usd (one row per UTC day x group, from the registered relation scoped_usage)
-- params:
-- choices: group_by = deployment|tenant_id
-- Prices are dated by day, so spend is shown per day.
SELECT day, {group_by}, sum(payg_cost_usd) AS payg_cost_usd
FROM scoped_usage
GROUP BY ALL
ORDER BY day, {group_by};
