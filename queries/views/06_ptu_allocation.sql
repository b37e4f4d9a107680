-- name: 06_ptu_allocation
-- returns: table macro ptu_allocation(start_ts, end_ts): hour, deployment, tenant_id, tokens, ptu_cost_usd (one row per PTU deployment x hour x tenant, or x 'idle capacity')
-- params:
-- A provisioned deployment costs by the hour whatever the traffic: PTUs x ptu_hourly_usd,
-- or reserved_monthly_usd spread evenly over the hours of its month. Each hour's cost is
-- split across tenants by their share of that deployment's tokens in the hour; an hour with
-- no tokens is charged to 'idle capacity', shown, never hidden.
CREATE OR REPLACE MACRO ptu_allocation(start_ts, end_ts) AS TABLE
WITH hours AS (
    SELECT unnest(generate_series(
        date_trunc('hour', start_ts), end_ts - INTERVAL 1 HOUR, INTERVAL 1 HOUR
    )) AS hour
),
capacity AS (
    SELECT
        d.deployment,
        h.hour,
        CASE
            WHEN d.reserved_monthly_usd IS NOT NULL THEN
                d.reserved_monthly_usd / date_diff(
                    'hour', date_trunc('month', h.hour),
                    date_trunc('month', h.hour) + INTERVAL 1 MONTH
                )
            ELSE d.ptu * d.ptu_hourly_usd
        END AS hour_cost_usd
    FROM deployments AS d
    CROSS JOIN hours AS h
    WHERE d.reserved_monthly_usd IS NOT NULL OR (d.ptu IS NOT NULL AND d.ptu_hourly_usd IS NOT NULL)
),
-- Tokens per hour and tenant from usage_source(): the hourly summary for whole hours, so
-- the split of an hour outlives its calls (retention); Log Analytics rollups left out.
usage AS (
    SELECT
        c.deployment,
        c.hour,
        t.tenant_id,
        sum(c.input_tokens + c.output_tokens) AS tokens
    FROM usage_source(start_ts, end_ts, false) AS c
    JOIN call_tenant_keys AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    WHERE (c.call_id IS NULL OR NOT starts_with(c.call_id, 'rollup:'))
        AND c.deployment IN (SELECT deployment FROM capacity)
    GROUP BY ALL
    HAVING sum(c.input_tokens + c.output_tokens) > 0
),
shared AS (
    SELECT
        k.hour, k.deployment, u.tenant_id, u.tokens, k.hour_cost_usd,
        sum(u.tokens) OVER (PARTITION BY k.deployment, k.hour) AS hour_tokens
    FROM capacity AS k
    JOIN usage AS u USING (deployment, hour)
)
SELECT hour, deployment, tenant_id, tokens, hour_cost_usd * tokens / hour_tokens AS ptu_cost_usd
FROM shared
UNION ALL
SELECT k.hour, k.deployment, 'idle capacity' AS tenant_id, 0 AS tokens, k.hour_cost_usd
FROM capacity AS k
ANTI JOIN usage AS u USING (deployment, hour);
