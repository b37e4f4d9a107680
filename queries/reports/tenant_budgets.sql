-- name: tenant_budgets
-- returns: tenant_id, tenant_name, cost_center, mtd_tokens, mtd_cost_usd, forecast_tokens, forecast_cost_usd, monthly_token_quota, monthly_budget_usd, quota_pct, budget_pct, forecast_quota_pct, forecast_budget_pct, flag (one row per tenant with spend or a budget this month)
-- params: $month_start TIMESTAMPTZ, $month_end TIMESTAMPTZ, $now TIMESTAMPTZ
-- Month to date = [$month_start, $now). The forecast to month end is linear in elapsed
-- time: month-to-date x (hours in the month / hours elapsed). flag: 'over budget' or
-- 'over quota' at >= 100 % month to date, 'forecast over' when the forecast passes 100 %,
-- 'above 80 %' at >= 80 % month to date, else 'ok'.
WITH payg AS (
    SELECT
        t.tenant_id,
        sum(k.input_tokens + k.output_tokens) AS tokens,
        sum(k.payg_cost_usd) AS cost_usd
    FROM costed_usage($month_start, $now, false) AS k
    JOIN call_tenant_keys AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    GROUP BY ALL
),
ptu AS (
    SELECT tenant_id, sum(ptu_cost_usd) AS cost_usd
    FROM ptu_allocation($month_start, date_trunc('hour', $now))
    GROUP BY ALL
),
spend AS (
    SELECT
        coalesce(p.tenant_id, u.tenant_id) AS tenant_id,
        coalesce(p.tokens, 0) AS mtd_tokens,
        coalesce(p.cost_usd, 0) + coalesce(u.cost_usd, 0) AS mtd_cost_usd
    FROM payg AS p
    FULL OUTER JOIN ptu AS u USING (tenant_id)
),
scaled AS (
    SELECT
        coalesce(s.tenant_id, tn.tenant_id) AS tenant_id,
        coalesce(tn.name, s.tenant_id) AS tenant_name,
        tn.cost_center,
        coalesce(s.mtd_tokens, 0) AS mtd_tokens,
        coalesce(s.mtd_cost_usd, 0) AS mtd_cost_usd,
        date_diff('second', $month_start, $month_end)
            / greatest(date_diff('second', $month_start, $now), 1) AS stretch,
        tn.monthly_token_quota,
        tn.monthly_budget_usd
    FROM spend AS s
    FULL OUTER JOIN tenants AS tn USING (tenant_id)
),
rated AS (
    SELECT
        *,
        round(mtd_tokens * stretch) AS forecast_tokens,
        round(mtd_cost_usd * stretch, 6) AS forecast_cost_usd,
        round(100.0 * mtd_tokens / nullif(monthly_token_quota, 0), 2) AS quota_pct,
        round(100.0 * mtd_cost_usd / nullif(monthly_budget_usd, 0), 2) AS budget_pct,
        round(100.0 * mtd_tokens * stretch / nullif(monthly_token_quota, 0), 2)
            AS forecast_quota_pct,
        round(100.0 * mtd_cost_usd * stretch / nullif(monthly_budget_usd, 0), 2)
            AS forecast_budget_pct
    FROM scaled
)
SELECT
    tenant_id, tenant_name, cost_center, mtd_tokens, round(mtd_cost_usd, 6) AS mtd_cost_usd,
    forecast_tokens, forecast_cost_usd, monthly_token_quota, monthly_budget_usd,
    quota_pct, budget_pct, forecast_quota_pct, forecast_budget_pct,
    CASE
        WHEN budget_pct >= 100 THEN 'over budget'
        WHEN quota_pct >= 100 THEN 'over quota'
        WHEN forecast_budget_pct >= 100 OR forecast_quota_pct >= 100 THEN 'forecast over'
        WHEN budget_pct >= 80 OR quota_pct >= 80 THEN 'above 80 %'
        ELSE 'ok'
    END AS flag
FROM rated
ORDER BY mtd_cost_usd DESC, tenant_id;
