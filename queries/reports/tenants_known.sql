-- name: tenants_known
-- returns: tenant_id, name (one row per tenant in the tenants file or seen on a call, by name)
-- params:
SELECT tenant_id, max(name) AS name
FROM (
    SELECT tenant_id, name FROM tenants
    UNION ALL
    SELECT DISTINCT tenant_id, NULL AS name FROM calls WHERE tenant_id IS NOT NULL
)
GROUP BY tenant_id
ORDER BY coalesce(max(name), tenant_id)
