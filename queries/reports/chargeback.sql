-- name: chargeback
-- returns: month, tenant_id, tenant_name, cost_center, deployment, model, deployment_type, requests, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, payg_cost_usd, ptu_cost_usd, total_cost_usd, quota_utilization_pct, budget_utilization_pct, failed_requests (one row per tenant x cost center x deployment x model)
-- params: $month VARCHAR, $month_start TIMESTAMPTZ, $month_end TIMESTAMPTZ, $ptu_until TIMESTAMPTZ, $tenants VARCHAR[]
-- $tenants: the tenants the asker may see (NULL: every tenant, idle capacity included).
-- PTU hours up to $ptu_until (the month's end, or the current hour in a month not over)
-- are allocated by ptu_allocation(); a tenant's PTU share for a deployment goes on
-- its busiest row of that deployment; idle hours appear as tenant 'idle capacity'.
-- Utilisation is per tenant over the whole month: tokens / monthly quota, total / budget.
-- Calls that failed before a model answered name no model: their row says
-- 'unknown (failed calls)' and failed_requests counts them. Amounts are rounded once, and
-- total_cost_usd is the sum of the two rounded parts, so the columns add up.
WITH usage AS (
    SELECT
        t.tenant_id,
        deployment,
        coalesce(
            k.base_model, CASE WHEN k.errors = k.requests THEN 'unknown (failed calls)' ELSE 'unknown' END
        ) AS model,
        k.billed_type AS deployment_type,
        sum(k.requests) AS requests,
        sum(k.errors) AS failed_requests,
        sum(k.input_tokens) AS input_tokens,
        sum(k.cached_input_tokens) AS cached_input_tokens,
        sum(k.output_tokens) AS output_tokens,
        sum(k.reasoning_tokens) AS reasoning_tokens,
        sum(k.payg_cost_usd) AS payg_cost_usd
    FROM costed_usage($month_start, $month_end, false) AS k
    JOIN call_tenant_keys AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    GROUP BY ALL
),
ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY tenant_id, deployment
            ORDER BY input_tokens + output_tokens DESC, model
        ) AS busiest
    FROM usage
),
ptu AS (
    SELECT tenant_id, deployment, sum(ptu_cost_usd) AS ptu_cost_usd
    FROM ptu_allocation($month_start, $ptu_until)
    GROUP BY ALL
),
lines AS (
    SELECT
        coalesce(r.tenant_id, p.tenant_id) AS tenant_id,
        coalesce(r.deployment, p.deployment) AS deployment,
        coalesce(r.model, d.model, 'unknown') AS model,
        coalesce(r.deployment_type, d.deployment_type) AS deployment_type,
        coalesce(r.requests, 0) AS requests,
        coalesce(r.failed_requests, 0) AS failed_requests,
        coalesce(r.input_tokens, 0) AS input_tokens,
        coalesce(r.cached_input_tokens, 0) AS cached_input_tokens,
        coalesce(r.output_tokens, 0) AS output_tokens,
        coalesce(r.reasoning_tokens, 0) AS reasoning_tokens,
        coalesce(r.payg_cost_usd, 0) AS payg_cost_usd,
        coalesce(p.ptu_cost_usd, 0) AS ptu_cost_usd
    FROM ranked AS r
    FULL OUTER JOIN ptu AS p
        ON p.tenant_id = r.tenant_id AND p.deployment = r.deployment AND r.busiest = 1
    LEFT JOIN deployments AS d ON d.deployment = coalesce(r.deployment, p.deployment)
)
SELECT
    $month AS month,
    l.tenant_id,
    coalesce(tn.name, l.tenant_id) AS tenant_name,
    tn.cost_center,
    l.deployment,
    l.model,
    l.deployment_type,
    l.requests,
    l.input_tokens,
    l.cached_input_tokens,
    l.output_tokens,
    l.reasoning_tokens,
    round(l.payg_cost_usd, 6) AS payg_cost_usd,
    round(l.ptu_cost_usd, 6) AS ptu_cost_usd,
    round(l.payg_cost_usd, 6) + round(l.ptu_cost_usd, 6) AS total_cost_usd,
    round(
        100.0 * sum(l.input_tokens + l.output_tokens) OVER (PARTITION BY l.tenant_id)
        / nullif(tn.monthly_token_quota, 0), 2
    ) AS quota_utilization_pct,
    round(
        100.0 * sum(l.payg_cost_usd + l.ptu_cost_usd) OVER (PARTITION BY l.tenant_id)
        / nullif(tn.monthly_budget_usd, 0), 2
    ) AS budget_utilization_pct,
    l.failed_requests
FROM lines AS l
LEFT JOIN tenants AS tn ON tn.tenant_id = l.tenant_id
WHERE CAST($tenants AS VARCHAR[]) IS NULL OR list_contains(CAST($tenants AS VARCHAR[]), l.tenant_id)
ORDER BY l.tenant_id, l.deployment, l.model;
