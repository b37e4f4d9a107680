-- name: ptu_hours
-- returns: deployment, hour, utilization (the hour's tokens against what its PTUs can serve, 0 to over 1; NULL: not measured, split by tokens), tokens, ptu_cost_usd (the hour's cost), idle_cost_usd (its part no tenant used) (one row per provisioned deployment x charged hour of the registered relation scoped_capacity, newest first)
-- params:
-- The hours ptu_allocation() (06_ptu_allocation.sql) charges, each with its utilisation:
-- uncached input + output_ratio x output, against PTUs x input TPM per PTU x 60. Read from
-- the scope's capacity (capacity_in_scope.sql), fetched once for this and deployment_costs.
SELECT
    deployment,
    hour,
    any_value(utilization) AS utilization,
    CAST(sum(tokens) AS BIGINT) AS tokens,
    sum(ptu_cost_usd) AS ptu_cost_usd,
    coalesce(sum(ptu_cost_usd) FILTER (WHERE tenant_id = 'idle capacity'), 0) AS idle_cost_usd
FROM scoped_capacity
GROUP BY deployment, hour
ORDER BY hour DESC, deployment;
