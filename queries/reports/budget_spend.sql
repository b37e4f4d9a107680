-- name: budget_spend
-- returns: scope_kind, scope, spend_usd, forecast_usd, budget_usd, spend_pct, forecast_pct (one row per tenant, cost center or deployment with a monthly budget > 0)
-- params: $month_start TIMESTAMPTZ, $month_end TIMESTAMPTZ, $now TIMESTAMPTZ
-- Month to date = [$month_start, $now), spend as tenant_budgets counts it: pay-as-you-go
-- tokens plus provisioned hours allocated by tokens (idle hours count for the deployment,
-- for no tenant). A cost center's spend is its tenants'. The forecast is linear in elapsed
-- time: spend x (seconds in the month / seconds elapsed).
WITH payg AS (
    SELECT t.tenant_id, k.deployment, sum(k.payg_cost_usd) AS cost_usd
    FROM costed_usage($month_start, $now, false) AS k
    JOIN call_tenant_keys AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    GROUP BY ALL
),
ptu AS (
    SELECT tenant_id, deployment, sum(ptu_cost_usd) AS cost_usd
    FROM ptu_allocation($month_start, date_trunc('hour', $now))
    GROUP BY ALL
),
spend AS (
    SELECT tenant_id, deployment, coalesce(cost_usd, 0) AS cost_usd FROM payg
    UNION ALL
    SELECT tenant_id, deployment, coalesce(cost_usd, 0) AS cost_usd FROM ptu
),
stretch AS (
    SELECT date_diff('second', $month_start, $month_end)
        / greatest(date_diff('second', $month_start, $now), 1) AS factor
),
scoped AS (
    SELECT 'tenant' AS scope_kind, tn.tenant_id AS scope,
        coalesce(sum(s.cost_usd), 0) AS spend_usd, tn.monthly_budget_usd AS budget_usd
    FROM tenants AS tn
    LEFT JOIN spend AS s USING (tenant_id)
    WHERE tn.monthly_budget_usd > 0
    GROUP BY ALL
    UNION ALL
    SELECT 'cost_center' AS scope_kind, cc.cost_center AS scope,
        coalesce(sum(s.cost_usd), 0) AS spend_usd, cc.monthly_budget_usd AS budget_usd
    FROM cost_centers AS cc
    LEFT JOIN tenants AS tn USING (cost_center)
    LEFT JOIN spend AS s ON s.tenant_id = tn.tenant_id
    WHERE cc.monthly_budget_usd > 0
    GROUP BY ALL
    UNION ALL
    SELECT 'deployment' AS scope_kind, d.deployment AS scope,
        coalesce(sum(s.cost_usd), 0) AS spend_usd, d.monthly_budget_usd AS budget_usd
    FROM deployments AS d
    LEFT JOIN spend AS s USING (deployment)
    WHERE d.monthly_budget_usd > 0
    GROUP BY ALL
)
SELECT
    scope_kind,
    scope,
    round(spend_usd, 6) AS spend_usd,
    round(spend_usd * factor, 6) AS forecast_usd,
    CAST(budget_usd AS DOUBLE) AS budget_usd,
    round(100.0 * spend_usd / budget_usd, 2) AS spend_pct,
    round(100.0 * spend_usd * factor / budget_usd, 2) AS forecast_pct
FROM scoped, stretch
ORDER BY scope_kind, scope;
