-- name: deployment_costs
-- returns: deployment, payg_cost_usd, ptu_cost_usd, total_cost_usd, tokens (one row per deployment with tokens or capacity in the scope of the registered relations scoped_usage and scoped_capacity, most cost first; amounts rounded to 6 decimals and the total the sum of its rounded parts, as in the chargeback)
-- params: $tenants VARCHAR[], $with_capacity BOOLEAN
-- Pay-as-you-go from the scope's priced usage; provisioned (PTU) capacity of the whole
-- hours charged from ptu_allocation() (the scope's, capacity_in_scope.sql), as the Overview
-- counts it: with tenants chosen, only their shares (idle hours belong to no tenant).
-- $with_capacity is false when the scope chooses models, deployment types or services,
-- which capacity is not split by.
WITH payg AS (
    SELECT
        deployment,
        sum(payg_cost_usd) AS payg_cost_usd,
        sum(input_tokens + output_tokens) AS tokens
    FROM scoped_usage
    GROUP BY deployment
),
capacity AS (
    SELECT deployment, sum(ptu_cost_usd) AS ptu_cost_usd
    FROM scoped_capacity
    WHERE $with_capacity AND keeps($tenants, tenant_id)
    GROUP BY deployment
),
rounded AS (
    SELECT
        deployment,
        round(coalesce(p.payg_cost_usd, 0), 6) AS payg_cost_usd,
        round(coalesce(c.ptu_cost_usd, 0), 6) AS ptu_cost_usd,
        coalesce(p.tokens, 0) AS tokens
    FROM payg AS p
    FULL OUTER JOIN capacity AS c USING (deployment)
)
SELECT
    deployment,
    CAST(payg_cost_usd AS DOUBLE) AS payg_cost_usd,
    CAST(ptu_cost_usd AS DOUBLE) AS ptu_cost_usd,
    CAST(payg_cost_usd + ptu_cost_usd AS DOUBLE) AS total_cost_usd,
    tokens
FROM rounded
ORDER BY total_cost_usd DESC, deployment;
