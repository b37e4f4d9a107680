-- name: 20_filtered_calls
-- returns: scalar macro keeps(chosen, value) and table macro filtered_calls(start_ts, end_ts, f_tenants, f_deployments, f_models, f_types, f_services): every column of call_keys except tenant_id, deployment_type replaced by the billed type (one row per call in the range that passes the filters; join tenant_keys_between() on the key columns for the resolved tenant)
-- params:
-- The dashboard's global filters. Each f_* is a list; an empty list means "all".
-- deployment_type is what the call is billed as (04_call_cost_rules.sql): the call's own,
-- else the deployments registry's, else GlobalStandard. A service of '' is a call with none.
-- The tenant filter is a semi-join on the tenant keys of the chosen tenants; with no tenant
-- chosen that branch is planned away, and no call is joined to its tenant. Reports that show
-- the tenant resolve it for the rows they keep.
CREATE OR REPLACE MACRO keeps(chosen, value) AS
    len(CAST(chosen AS VARCHAR[])) = 0 OR list_contains(CAST(chosen AS VARCHAR[]), value);

CREATE OR REPLACE MACRO filtered_calls(
    start_ts, end_ts, f_tenants, f_deployments, f_models, f_types, f_services
) AS TABLE
WITH in_range AS (
    SELECT
        c.* EXCLUDE (tenant_id, deployment_type),
        coalesce(c.deployment_type, d.deployment_type, 'GlobalStandard') AS deployment_type
    FROM call_keys AS c
    LEFT JOIN deployments AS d ON d.deployment = c.deployment
    WHERE c.start_time >= start_ts AND c.start_time < end_ts
        AND keeps(f_deployments, c.deployment)
        AND keeps(f_models, coalesce(c.model, d.model, ''))
        AND keeps(f_types, coalesce(c.deployment_type, d.deployment_type, 'GlobalStandard'))
        AND keeps(f_services, coalesce(c.service, ''))
)
SELECT * FROM in_range WHERE len(CAST(f_tenants AS VARCHAR[])) = 0
UNION ALL
SELECT c.*
FROM in_range AS c
SEMI JOIN (
    SELECT *
    FROM tenant_keys_between(start_ts, end_ts)
    WHERE list_contains(CAST(f_tenants AS VARCHAR[]), tenant_id)
) AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
WHERE len(CAST(f_tenants AS VARCHAR[])) > 0;
