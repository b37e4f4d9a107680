-- name: call_tenant_keys
-- returns: view call_tenant_keys, one row per distinct (tenant_attr, apim_subscription, end_user, deployment, service) of calls: the tenant it resolves to and the rule kind
-- params:
-- The tenant rules of tenant_rules applied once per distinct combination of the columns they
-- read (see call_tenants.sql for the rules); '' stands for a missing value.
CREATE OR REPLACE VIEW call_tenant_keys AS
WITH combos AS (
    SELECT DISTINCT
        coalesce(tenant_id, '') AS tenant_attr,
        coalesce(apim_subscription, '') AS apim_subscription,
        coalesce(end_user, '') AS end_user,
        deployment,
        coalesce(service, '') AS service
    FROM calls
),
candidates AS (
    SELECT k.*, r.position, r.kind, k.tenant_attr AS tenant
    FROM combos AS k JOIN tenant_rules AS r ON r.kind = 'attribute'
    WHERE k.tenant_attr <> ''
    UNION ALL
    SELECT k.*, r.position, r.kind, r.tenant_id
    FROM combos AS k
    JOIN tenant_rules AS r ON r.kind = 'apim_subscription' AND k.apim_subscription = r.match
    UNION ALL
    SELECT k.*, r.position, r.kind, r.tenant_id
    FROM combos AS k JOIN tenant_rules AS r ON r.kind = 'end_user' AND k.end_user = r.match
    UNION ALL
    SELECT k.*, r.position, r.kind, r.tenant_id
    FROM combos AS k JOIN tenant_rules AS r ON r.kind = 'deployment' AND k.deployment = r.match
    UNION ALL
    SELECT k.*, r.position, r.kind, r.tenant_id
    FROM combos AS k JOIN tenant_rules AS r ON r.kind = 'service' AND k.service = r.match
),
first_match AS (
    SELECT tenant_attr, apim_subscription, end_user, deployment, service, tenant, kind
    FROM candidates
    QUALIFY row_number() OVER (
        PARTITION BY tenant_attr, apim_subscription, end_user, deployment, service
        ORDER BY position
    ) = 1
)
SELECT
    k.tenant_attr, k.apim_subscription, k.end_user, k.deployment, k.service,
    coalesce(f.tenant, 'unassigned') AS tenant_id,
    coalesce(f.kind, 'none') AS resolved_by
FROM combos AS k
LEFT JOIN first_match AS f USING (tenant_attr, apim_subscription, end_user, deployment, service);
