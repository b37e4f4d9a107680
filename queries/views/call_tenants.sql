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
WITH candidates AS (
    SELECT c.call_id, r.position, r.kind, c.tenant_id AS tenant_id
    FROM calls AS c JOIN tenant_rules AS r ON r.kind = 'attribute'
    WHERE c.tenant_id IS NOT NULL AND c.tenant_id <> ''
    UNION ALL
    SELECT c.call_id, r.position, r.kind, r.tenant_id
    FROM calls AS c JOIN tenant_rules AS r ON r.kind = 'end_user' AND c.end_user = r.match
    UNION ALL
    SELECT c.call_id, r.position, r.kind, r.tenant_id
    FROM calls AS c JOIN tenant_rules AS r ON r.kind = 'deployment' AND c.deployment = r.match
    UNION ALL
    SELECT c.call_id, r.position, r.kind, r.tenant_id
    FROM calls AS c JOIN tenant_rules AS r ON r.kind = 'service' AND c.service = r.match
),
first_match AS (
    SELECT call_id, tenant_id, kind
    FROM candidates
    QUALIFY row_number() OVER (PARTITION BY call_id ORDER BY position) = 1
)
SELECT
    c.call_id,
    coalesce(f.tenant_id, 'unassigned') AS tenant_id,
    coalesce(f.kind, 'none') AS resolved_by
FROM calls AS c
LEFT JOIN first_match AS f USING (call_id);
