-- name: 21_filtered_usage
-- returns: table macro filtered_usage(start_ts, end_ts, f_tenants, f_deployments, f_models, f_types, f_services): day, deployment, model, deployment_type, service, filter_action, incident_end_user (the end user of a blocked or filtered call, else null), tenant_id, requests, token sums, payg_cost_usd, priced, unpriced_reason (one row per price group of calls in the range that passes the filters)
-- params:
-- costed_usage() priced per group of calls (same day, price, tenant keys and filter action),
-- the tenant resolved, and the dashboard's filters (20_filtered_calls.sql) applied to the
-- group keys: the same totals as filtering and pricing each call.
CREATE OR REPLACE MACRO filtered_usage(
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
usage AS (
    SELECT
        u.day,
        u.deployment,
        u.model,
        u.billed_type AS deployment_type,
        u.service,
        u.filter_action,
        u.incident_end_user,
        t.tenant_id,
        u.requests,
        u.input_tokens,
        u.cached_input_tokens,
        u.output_tokens,
        u.reasoning_tokens,
        u.payg_cost_usd,
        u.priced,
        u.unpriced_reason
    FROM costed_usage(start_ts, end_ts, false) AS u
    JOIN tenant_keys_between(start_ts, end_ts) AS t
        USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
)
SELECT usage.*
FROM usage, chosen AS f
WHERE (len(f.tenants) = 0 OR list_contains(f.tenants, usage.tenant_id))
    AND (len(f.deployments) = 0 OR list_contains(f.deployments, usage.deployment))
    AND (len(f.models) = 0 OR list_contains(f.models, coalesce(usage.model, '')))
    AND (len(f.types) = 0 OR list_contains(f.types, usage.deployment_type))
    AND (len(f.services) = 0 OR list_contains(f.services, usage.service));
