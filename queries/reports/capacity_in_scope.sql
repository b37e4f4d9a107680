-- name: capacity_in_scope
-- returns: hour, deployment, tenant_id, tokens, ptu_cost_usd, utilization (ptu_allocation()'s rows for the charged hours in [$start, $until) of the provisioned deployments chosen: one row per deployment x hour x tenant, or x 'idle capacity'), read once and summed by deployment_costs.sql and ptu_hours.sql
-- params: $start TIMESTAMPTZ, $until TIMESTAMPTZ, $deployments VARCHAR[]
-- The Deployments page's provisioned capacity, fetched once: both of its readers expanded
-- and ran ptu_allocation() (06_ptu_allocation.sql) over the same hours.
SELECT hour, deployment, tenant_id, tokens, ptu_cost_usd, utilization
FROM ptu_allocation($start, $until)
WHERE keeps($deployments, deployment);
