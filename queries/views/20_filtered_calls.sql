-- name: 20_filtered_calls
-- returns: table macro filtered_calls(start_ts, end_ts, f_tenants, f_deployments, f_models, f_types, f_services): every column of call_keys, tenant_id replaced by the resolved tenant and deployment_type by the billed type, plus resolved_by (one row per call in the range that passes the filters)
-- params:
-- The dashboard's global filters. Each f_* is a list; an empty list means "all".
-- deployment_type is what the call is billed as (04_call_cost_rules.sql): the call's own,
-- else the deployments registry's, else GlobalStandard. A service of '' is a call with none.
CREATE OR REPLACE MACRO filtered_calls(
    start_ts, end_ts, f_tenants, f_deployments, f_models, f_types, f_services
) AS TABLE
WITH chosen AS (
    SELECT
        CAST(f_tenants AS VARCHAR[]) AS tenants,
        CAST(f_deployments AS VARCHAR[]) AS deployments,
        CAST(f_models AS VARCHAR[]) AS models,
        CAST(f_types AS VARCHAR[]) AS types,
        CAST(f_services AS VARCHAR[]) AS services
),
typed AS (
    SELECT
        c.* EXCLUDE (tenant_id, deployment_type),
        t.tenant_id,
        t.resolved_by,
        coalesce(c.deployment_type, d.deployment_type, 'GlobalStandard') AS deployment_type,
        coalesce(c.model, d.model, '') AS model_key
    FROM call_keys AS c
    JOIN tenant_keys_between(start_ts, end_ts) AS t
        USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    LEFT JOIN deployments AS d ON d.deployment = c.deployment
    WHERE c.start_time >= start_ts AND c.start_time < end_ts
)
SELECT typed.* EXCLUDE (model_key)
FROM typed, chosen AS f
WHERE (len(f.tenants) = 0 OR list_contains(f.tenants, typed.tenant_id))
    AND (len(f.deployments) = 0 OR list_contains(f.deployments, typed.deployment))
    AND (len(f.models) = 0 OR list_contains(f.models, typed.model_key))
    AND (len(f.types) = 0 OR list_contains(f.types, typed.deployment_type))
    AND (len(f.services) = 0 OR list_contains(f.services, coalesce(typed.service, '')));
