-- name: 03_call_tenants
-- returns: view call_tenants, one row per call: call_id, tenant_id (or 'unassigned'), resolved_by (the rule kind, or 'none')
-- params:
-- Resolution is a view, so changing a rule re-attributes history. Rules are tried in
-- position order; the first that matches the call names its tenant:
--   attribute          the call's own tenant.id attribute (calls.tenant_id), whatever its value
--   apim_subscription  calls.apim_subscription = match (the API Management subscription)
--   end_user    calls.end_user = match
--   deployment  calls.deployment = match (a dedicated deployment)
--   service     calls.service = match (the calling service)
-- A call no rule matches is charged to 'unassigned': shown, never dropped.
CREATE OR REPLACE VIEW call_tenants AS
SELECT c.call_id, t.tenant_id, t.resolved_by
FROM call_keys AS c
JOIN call_tenant_keys AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key);
