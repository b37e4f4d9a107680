-- name: call_tenants
-- returns: view call_tenants, one row per call: call_id, tenant_id (or 'unassigned'), resolved_by (the rule kind, or 'none')
-- params:
-- Resolution is a view, so changing a rule re-attributes history. Rules are tried in
-- position order; the first that matches the call names its tenant:
--   attribute   the call's own tenant.id attribute (calls.tenant_id), whatever its value
--   end_user    calls.end_user = match
--   deployment  calls.deployment = match (a dedicated deployment)
--   service     calls.service = match (the calling service)
-- A call no rule matches is charged to 'unassigned': shown, never dropped.
CREATE OR REPLACE VIEW call_tenants AS
-- Resolved once per distinct (tenant.id, end user, deployment, service) combination, then
-- joined back to the calls: far fewer rows to rank than calls.
WITH combos AS (
    SELECT DISTINCT
        coalesce(tenant_id, '') AS tenant_attr,
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
    FROM combos AS k JOIN tenant_rules AS r ON r.kind = 'end_user' AND k.end_user = r.match
    UNION ALL
    SELECT k.*, r.position, r.kind, r.tenant_id
    FROM combos AS k JOIN tenant_rules AS r ON r.kind = 'deployment' AND k.deployment = r.match
    UNION ALL
    SELECT k.*, r.position, r.kind, r.tenant_id
    FROM combos AS k JOIN tenant_rules AS r ON r.kind = 'service' AND k.service = r.match
),
first_match AS (
    SELECT tenant_attr, end_user, deployment, service, tenant, kind
    FROM candidates
    QUALIFY row_number() OVER (
        PARTITION BY tenant_attr, end_user, deployment, service ORDER BY position
    ) = 1
)
SELECT
    c.call_id,
    coalesce(f.tenant, 'unassigned') AS tenant_id,
    coalesce(f.kind, 'none') AS resolved_by
FROM calls AS c
LEFT JOIN first_match AS f
    ON f.tenant_attr = coalesce(c.tenant_id, '')
    AND f.end_user = coalesce(c.end_user, '')
    AND f.deployment = c.deployment
    AND f.service = coalesce(c.service, '');
