-- name: ptu_usage
-- returns: deployment, tenant_id, hours, tokens, ptu_cost_usd, share_of_cost, capacity_used (one row per provisioned deployment x tenant or 'idle capacity', for the whole hours in [$month_start, $month_end): the caller ends a month not over at its current hour)
-- params: $month_start TIMESTAMPTZ, $month_end TIMESTAMPTZ
-- hours counts the hours in which the tenant sent the deployment at least one token (or,
-- for 'idle capacity', the hours nobody did): one call makes an hour count, so it says
-- when, not how much. capacity_used says how much: the tenant's tokens against what the
-- deployment could serve in the period at its tokens-per-minute quota (tpm).
WITH allocated AS (
    SELECT * FROM ptu_allocation($month_start, $month_end)
),
capacity AS (
    -- Tokens the deployment could have served in the period: its tokens-per-minute quota
    -- over every hour counted (NULL when the registry gives no tpm).
    SELECT a.deployment, d.tpm_quota * 60.0 * count(DISTINCT a.hour) AS capacity_tokens
    FROM allocated AS a
    JOIN deployments AS d USING (deployment)
    GROUP BY a.deployment, d.tpm_quota
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
    sum(a.tokens) / nullif(any_value(c.capacity_tokens), 0) AS capacity_used
FROM allocated AS a
JOIN capacity AS c USING (deployment)
GROUP BY a.deployment, a.tenant_id
ORDER BY a.deployment, ptu_cost_usd DESC, a.tenant_id;
