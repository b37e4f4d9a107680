-- name: ptu_usage
-- returns: deployment, tenant_id, hours, tokens, ptu_cost_usd, share_of_cost (one row per provisioned deployment x tenant or 'idle capacity', for the whole hours in [$month_start, $month_end): the caller ends a month not over at its current hour)
-- params: $month_start TIMESTAMPTZ, $month_end TIMESTAMPTZ
-- hours counts the hours in which the tenant used the deployment (or, for 'idle capacity',
-- the hours nobody did).
SELECT
    deployment,
    tenant_id,
    count(DISTINCT hour) AS hours,
    sum(tokens) AS tokens,
    sum(ptu_cost_usd) AS ptu_cost_usd,
    coalesce(
        sum(ptu_cost_usd) / nullif(sum(sum(ptu_cost_usd)) OVER (PARTITION BY deployment), 0), 0
    ) AS share_of_cost
FROM ptu_allocation($month_start, $month_end)
GROUP BY deployment, tenant_id
ORDER BY deployment, ptu_cost_usd DESC, tenant_id;
