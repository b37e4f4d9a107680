-- name: ptu_usage
-- returns: deployment, tenant_id, hours, tokens, ptu_cost_usd, share_of_cost, capacity_used (one row per provisioned deployment x tenant or 'idle capacity', for the whole hours charged in [$month_start, $month_end): the caller ends a month not over at its current hour)
-- params: $month_start TIMESTAMPTZ, $month_end TIMESTAMPTZ
-- hours counts the hours in which the tenant sent the deployment tokens (for 'idle
-- capacity', the hours with capacity unused). capacity_used says how much: the tenant's
-- PTU-minutes (06_ptu_allocation.sql) against the PTU-minutes of every hour charged, and
-- for 'idle capacity' the share nobody used; NULL for a deployment without PTU sizing
-- figures for its model, or without a ptu count, whose hours are split by tokens.
WITH allocated AS (
    SELECT * FROM ptu_allocation($month_start, $month_end)
),
capacity AS (
    SELECT a.deployment, any_value(d.ptu) * 60.0 * count(DISTINCT a.hour) AS capacity_ptu_minutes
    FROM allocated AS a
    JOIN deployments AS d USING (deployment)
    GROUP BY a.deployment
)
SELECT
    a.deployment,
    a.tenant_id,
    count(DISTINCT a.hour) AS hours,
    sum(a.tokens) AS tokens,
    sum(a.ptu_cost_usd) AS ptu_cost_usd,
    coalesce(
        sum(a.ptu_cost_usd)
        / nullif(sum(sum(a.ptu_cost_usd)) OVER (PARTITION BY a.deployment), 0), 0
    ) AS share_of_cost,
    -- Known only when every hour of the deployment was measured.
    CASE WHEN bool_and(bool_and(a.utilization IS NOT NULL)) OVER (PARTITION BY a.deployment)
        THEN sum(a.ptu_minutes) / nullif(any_value(c.capacity_ptu_minutes), 0)
    END AS capacity_used
FROM allocated AS a
JOIN capacity AS c USING (deployment)
GROUP BY a.deployment, a.tenant_id
ORDER BY a.deployment, ptu_cost_usd DESC, a.tenant_id;
