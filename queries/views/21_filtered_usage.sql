-- name: 21_filtered_usage
-- returns: table macro filtered_usage(start_ts, end_ts, f_tenants, f_deployments, f_models, f_types, f_services, hours := 1): hour, day, deployment, model, deployment_type, service, filter_action, incident_end_user (the end user of a blocked or filtered call, else null), tenant_id, requests, errors, throttled, unknown_deployment, synthetic, unknown_tokens, token sums, payg_cost_usd, priced, unpriced_reason (one row per row of usage_source() in the range that passes the filters: an hour's group of calls, or a call at the range's edges)
-- params:
-- costed_usage() priced per group of calls (same hour, price, tenant keys and filter action),
-- the tenant resolved, and the dashboard's filters (20_filtered_calls.sql) applied to the
-- group keys: the same totals as filtering and pricing each call.
CREATE OR REPLACE MACRO filtered_usage(
    start_ts, end_ts, f_tenants, f_deployments, f_models, f_types, f_services, hours := 1
) AS TABLE
SELECT
    u.hour,
    u.day,
    u.deployment,
    u.model,
    u.billed_type AS deployment_type,
    u.service,
    u.filter_action,
    u.incident_end_user,
    t.tenant_id,
    u.requests,
    u.errors,
    u.throttled,
    u.unknown_deployment,
    u.synthetic,
    u.unknown_tokens,
    u.input_tokens,
    u.cached_input_tokens,
    u.output_tokens,
    u.reasoning_tokens,
    u.payg_cost_usd,
    u.priced,
    u.unpriced_reason
FROM costed_usage(start_ts, end_ts, false, hours := hours) AS u
JOIN tenant_keys_between(start_ts, end_ts) AS t
    USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
WHERE keeps(f_tenants, t.tenant_id)
    AND keeps(f_deployments, u.deployment)
    AND keeps(f_models, coalesce(u.model, ''))
    AND keeps(f_types, u.billed_type)
    AND keeps(f_services, u.service);
