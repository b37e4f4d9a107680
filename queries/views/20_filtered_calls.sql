-- name: 20_filtered_calls
-- returns: scalar macro keeps(chosen, value) and table macro filtered_calls(start_ts, end_ts, f_tenants, f_deployments, f_models, f_types, f_services): every column of call_keys, tenant_id replaced by the resolved tenant and deployment_type by the billed type, plus resolved_by (one row per call in the range that passes the filters)
-- params:
-- The dashboard's global filters. Each f_* is a list; an empty list means "all".
-- deployment_type is what the call is billed as (04_call_cost_rules.sql): the call's own,
-- else the deployments registry's, else GlobalStandard. A service of '' is a call with none.
CREATE OR REPLACE MACRO keeps(chosen, value) AS
    len(CAST(chosen AS VARCHAR[])) = 0 OR list_contains(CAST(chosen AS VARCHAR[]), value);

CREATE OR REPLACE MACRO filtered_calls(
    start_ts, end_ts, f_tenants, f_deployments, f_models, f_types, f_services
) AS TABLE
SELECT
    c.* EXCLUDE (tenant_id, deployment_type),
    t.tenant_id,
    t.resolved_by,
    coalesce(c.deployment_type, d.deployment_type, 'GlobalStandard') AS deployment_type
FROM call_keys AS c
JOIN tenant_keys_between(start_ts, end_ts) AS t
    USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
LEFT JOIN deployments AS d ON d.deployment = c.deployment
WHERE c.start_time >= start_ts AND c.start_time < end_ts
    AND keeps(f_tenants, t.tenant_id)
    AND keeps(f_deployments, c.deployment)
    AND keeps(f_models, coalesce(c.model, d.model, ''))
    AND keeps(f_types, coalesce(c.deployment_type, d.deployment_type, 'GlobalStandard'))
    AND keeps(f_services, coalesce(c.service, ''));
