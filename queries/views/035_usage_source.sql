-- name: 035_usage_source
-- returns: table macro usage_source(start_ts, end_ts, per_call): call_id (a call's, or rollup:... for an hourly rollup group), start_time (per call and rollup rows), day, deployment, model, region, deployment_type, the tenant keys of 01_call_keys, service, filter_action, incident_end_user, requests and token counts (one row per call, or per usage_daily row for whole UTC days)
-- params:
-- What costed_usage() prices. Whole UTC days inside [start_ts, end_ts) come from the daily
-- summary (usage_daily); the partial days at either edge, and every day when a call-by-call
-- answer is asked for (per_call) or a tenant rule reads end users (not kept in the summary),
-- come from the calls themselves. Both give the same sums. Log Analytics hourly rollups
-- fill the hours that have no call.
CREATE OR REPLACE MACRO usage_source(start_ts, end_ts, per_call) AS TABLE
WITH whole AS (
    SELECT
        CAST(date_trunc('day', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 day AS DATE)
            AS first_day,
        CAST(date_trunc('day', end_ts) AS DATE) AS end_day,
        per_call OR (SELECT end_user FROM tenant_rule_kinds) AS calls_only
)
SELECT
    NULL AS call_id,
    NULL AS start_time,
    u.day,
    u.deployment,
    nullif(u.model, '') AS model,
    nullif(u.region, '') AS region,
    nullif(u.deployment_type, '') AS deployment_type,
    tenant_key(used.attribute, u.tenant_id) AS tenant_attr,
    tenant_key(used.apim_subscription, u.apim_subscription) AS apim_key,
    '' AS end_user_key,
    tenant_key(used.service, u.service) AS service_key,
    u.service,
    u.filter_action,
    CASE WHEN u.filter_action IN ('blocked_prompt', 'filtered_completion')
        THEN u.incident_end_user END AS incident_end_user,
    u.requests,
    u.input_tokens,
    u.cached_input_tokens,
    u.output_tokens,
    u.reasoning_tokens
FROM usage_daily AS u, whole AS w, tenant_rule_kinds AS used
WHERE NOT w.calls_only AND u.day >= w.first_day AND u.day < w.end_day
UNION ALL
SELECT
    c.call_id,
    c.start_time,
    CAST(c.start_time AS DATE) AS day,
    c.deployment,
    c.model,
    c.region,
    c.deployment_type,
    c.tenant_attr,
    c.apim_key,
    c.end_user_key,
    c.service_key,
    coalesce(c.service, '') AS service,
    c.filter_action,
    CASE WHEN c.filter_action IN ('blocked_prompt', 'filtered_completion')
        THEN coalesce(c.end_user, '') END AS incident_end_user,
    1 AS requests,
    coalesce(c.input_tokens, 0) AS input_tokens,
    coalesce(c.cached_input_tokens, 0) AS cached_input_tokens,
    coalesce(c.output_tokens, 0) AS output_tokens,
    coalesce(c.reasoning_tokens, 0) AS reasoning_tokens
FROM call_keys AS c, whole AS w
WHERE c.start_time >= start_ts AND c.start_time < end_ts
    AND (w.calls_only
        OR CAST(c.start_time AS DATE) < w.first_day
        OR CAST(c.start_time AS DATE) >= w.end_day)
UNION ALL
-- Hourly rollups (Log Analytics rollup mode stores only aggregates) for the hours that have
-- no call, so an hour is never counted twice.
SELECT
    'rollup:' || r.source || ':' || strftime(r.hour, '%Y-%m-%dT%H') || ':' || r.deployment
        || ':' || coalesce(r.apim_subscription, '') || ':' || coalesce(r.tenant_id, '')
        || ':' || r.status || ':' || coalesce(r.model, '') AS call_id,
    r.hour AS start_time,
    CAST(r.hour AS DATE) AS day,
    r.deployment,
    r.model,
    r.region,
    NULL AS deployment_type,
    tenant_key(used.attribute, r.tenant_id) AS tenant_attr,
    tenant_key(used.apim_subscription, r.apim_subscription)
        AS apim_key,
    '' AS end_user_key,
    '' AS service_key,
    '' AS service,
    'none' AS filter_action,
    NULL AS incident_end_user,
    r.requests,
    r.input_tokens,
    r.cached_input_tokens,
    r.output_tokens,
    r.reasoning_tokens
FROM usage_rollups AS r, tenant_rule_kinds AS used
ANTI JOIN (
    SELECT DISTINCT date_trunc('hour', start_time) AS hour
    FROM calls
    WHERE start_time >= start_ts AND start_time < end_ts
        AND start_time >= (SELECT min(hour) FROM usage_rollups)
) AS h ON h.hour = date_trunc('hour', r.hour)
WHERE r.hour >= start_ts AND r.hour < end_ts;
