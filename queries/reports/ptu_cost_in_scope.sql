-- name: ptu_cost_in_scope
-- returns: ptu_cost_usd, idle_cost_usd, provisioned (one row: the provisioned (PTU) capacity cost of the whole hours in [$start, $until) for the chosen deployments and tenants; idle_cost_usd is the part of it no tenant used; provisioned counts the deployments with a capacity price)
-- params: $start TIMESTAMPTZ, $until TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[]
-- Each hour of a provisioned deployment costs the same whatever the traffic; ptu_allocation()
-- gives it to the tenants by their share of the hour's capacity, the rest to 'idle capacity'. With
-- tenants chosen, only their shares count (idle hours belong to no tenant).
SELECT
    coalesce(sum(ptu_cost_usd), 0) AS ptu_cost_usd,
    coalesce(sum(ptu_cost_usd) FILTER (WHERE tenant_id = 'idle capacity'), 0) AS idle_cost_usd,
    count(DISTINCT deployment) AS provisioned
FROM ptu_allocation($start, $until)
WHERE keeps($deployments, deployment) AND keeps($tenants, tenant_id);
