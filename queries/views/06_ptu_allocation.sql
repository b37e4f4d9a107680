-- name: 06_ptu_allocation
-- returns: table macro ptu_allocation(start_ts, end_ts): hour, deployment, tenant_id, tokens, ptu_cost_usd, ptu_minutes (the tenant's use of the capacity in PTU-minutes, for 'idle capacity' the PTU-minutes unused; NULL for an hour without figures), utilization (the deployment's in that hour, 0 to over 1; NULL without figures) (one row per PTU deployment x charged hour x tenant, or x 'idle capacity')
-- params:
-- A provisioned deployment costs by the hour whatever the traffic: PTUs x ptu_hourly_usd,
-- or reserved_monthly_usd spread evenly over the hours of its month. The hours charged
-- start at the later of its first call in the ledger and its registry `since`; before
-- that it is not idle, it is not there (docs/decisions/0023-ptu-capacity-allocation.md).
-- Each hour is measured against what the PTUs can serve, with Microsoft's sizing figures
-- (ptu_figures): a call's tokens count as uncached input + output_ratio x output, in
-- input tokens, and one PTU serves input_tpm_per_ptu of them a minute; the figures are
-- matched on the base model of the call (else the registry's), as prices are. So the
-- tokens are expressed in PTU-minutes, and the hour's capacity is PTUs x 60 of them.
-- A tenant pays the hour's cost x its PTU-minutes / the capacity; the rest is 'idle
-- capacity'. Above 100 % (Azure queues and answers 429) the tenants share the whole cost
-- by their PTU-minutes and nothing is idle. An hour with tokens of a model without
-- figures, or of a deployment with no ptu count, is split by share of input + output
-- tokens, as before; an hour with no tokens is idle capacity.
CREATE OR REPLACE MACRO ptu_allocation(start_ts, end_ts) AS TABLE
WITH registered AS (
    SELECT *
    FROM deployments
    WHERE reserved_monthly_usd IS NOT NULL OR (ptu IS NOT NULL AND ptu_hourly_usd IS NOT NULL)
),
first_calls AS (
    -- The first hour each deployment had a call, from the hourly summary (every hour with
    -- a call is in it) and the Log Analytics rollups.
    SELECT deployment, min(hour) AS first_hour
    FROM (
        SELECT deployment, hour FROM usage_hourly WHERE requests > 0
        UNION ALL
        SELECT deployment, date_trunc('hour', hour) FROM usage_rollups WHERE requests > 0
    )
    WHERE deployment IN (SELECT deployment FROM registered)
    GROUP BY deployment
),
priced AS (
    SELECT
        d.deployment,
        d.ptu,
        d.reserved_monthly_usd,
        d.ptu_hourly_usd,
        greatest(f.first_hour, coalesce(date_trunc('hour', d.since), f.first_hour))
            AS charged_from
    FROM registered AS d
    JOIN first_calls AS f USING (deployment)
),
hours AS (
    SELECT unnest(generate_series(
        date_trunc('hour', start_ts), end_ts - INTERVAL 1 HOUR, INTERVAL 1 HOUR
    )) AS hour
),
capacity AS (
    SELECT
        d.deployment,
        h.hour,
        d.ptu * 60.0 AS capacity_ptu_minutes,
        CASE
            WHEN d.reserved_monthly_usd IS NOT NULL THEN
                d.reserved_monthly_usd / date_diff(
                    'hour', date_trunc('month', h.hour),
                    date_trunc('month', h.hour) + INTERVAL 1 MONTH
                )
            ELSE d.ptu * d.ptu_hourly_usd
        END AS hour_cost_usd
    FROM priced AS d
    JOIN hours AS h ON h.hour >= d.charged_from
),
-- Tokens per hour and tenant from usage_source(): the hourly summary for whole hours, so
-- the split of an hour outlives its calls (retention); Log Analytics rollups left out.
usage AS (
    SELECT
        c.deployment,
        c.hour,
        t.tenant_id,
        sum(c.input_tokens + c.output_tokens) AS tokens,
        sum((c.input_tokens - c.cached_input_tokens + f.output_ratio * c.output_tokens)
            / f.input_tpm_per_ptu) AS ptu_minutes,
        -- Tokens of a model without figures make the hour's PTU-minutes unknown.
        bool_or(f.model IS NULL) AS unsized
    FROM usage_source(start_ts, end_ts, false) AS c
    -- The range's key combinations only (call_tenant_keys would resolve every hour's).
    JOIN tenant_keys_between(start_ts, end_ts) AS t
        USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    LEFT JOIN deployments AS d ON d.deployment = c.deployment
    LEFT JOIN ptu_figures AS f ON f.model = base_model(coalesce(c.model, d.model))
    WHERE (c.call_id IS NULL OR NOT starts_with(c.call_id, 'rollup:'))
        AND c.deployment IN (SELECT deployment FROM priced)
        AND c.input_tokens + c.output_tokens > 0
    GROUP BY ALL
),
measured AS (
    SELECT
        k.hour, k.deployment, u.tenant_id, u.tokens, u.ptu_minutes, k.hour_cost_usd,
        k.capacity_ptu_minutes,
        sum(u.tokens) OVER hour_of AS hour_tokens,
        sum(u.ptu_minutes) OVER hour_of AS hour_ptu_minutes,
        -- NULL: split by tokens (no ptu count, or a model without figures this hour).
        CASE WHEN k.capacity_ptu_minutes IS NOT NULL AND NOT bool_or(u.unsized) OVER hour_of
            THEN sum(u.ptu_minutes) OVER hour_of / k.capacity_ptu_minutes
        END AS utilization
    FROM capacity AS k
    JOIN usage AS u USING (deployment, hour)
    WINDOW hour_of AS (PARTITION BY k.deployment, k.hour)
)
SELECT
    hour, deployment, tenant_id, tokens,
    CASE
        WHEN utilization IS NULL THEN hour_cost_usd * tokens / hour_tokens
        ELSE hour_cost_usd * ptu_minutes / greatest(capacity_ptu_minutes, hour_ptu_minutes)
    END AS ptu_cost_usd,
    CASE WHEN utilization IS NOT NULL THEN ptu_minutes END AS ptu_minutes,
    utilization
FROM measured
UNION ALL
-- The capacity no tenant used: the unused part of a measured hour below 100 % ...
SELECT
    hour, deployment, 'idle capacity' AS tenant_id, 0 AS tokens,
    hour_cost_usd * (1 - least(utilization, 1)) AS ptu_cost_usd,
    capacity_ptu_minutes - hour_ptu_minutes AS ptu_minutes,
    utilization
FROM (
    SELECT DISTINCT
        hour, deployment, hour_cost_usd, capacity_ptu_minutes, hour_ptu_minutes, utilization
    FROM measured
    WHERE utilization < 1
)
UNION ALL
-- ... and the whole of an hour without tokens.
SELECT
    k.hour, k.deployment, 'idle capacity' AS tenant_id, 0 AS tokens, k.hour_cost_usd,
    k.capacity_ptu_minutes AS ptu_minutes,
    CASE WHEN k.capacity_ptu_minutes IS NOT NULL THEN 0.0 END AS utilization
FROM capacity AS k
ANTI JOIN usage AS u USING (deployment, hour);
