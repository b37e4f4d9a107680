-- name: 035_usage_source
-- returns: view call_usage (one call as a usage row) and table macro usage_source(start_ts, end_ts, per_call, hours := 1): call_id (a call's, or rollup:... for an hourly rollup group), start_time (per call and rollup rows), hour, day, deployment, model, region, deployment_type, the tenant keys of 01_call_keys, service, filter_action, incident_end_user, service_tier, context_tier (00_call_tiers), requests, errors, throttled, unknown_deployment, synthetic, unknown_tokens (answered calls whose tokens no source gave) and token counts (cache_write_tokens last) (one row per call, or per usage_hourly row for whole UTC hours; with hours 6 or 24, per such bucket of whole hours and keys, hour its start and incident_end_user null)
-- params:
-- What the reports sum and costed_usage() prices. Whole UTC hours inside [start_ts, end_ts)
-- come from the hourly summary (usage_hourly); the partial hours at either edge, and every
-- hour when a call-by-call answer is asked for (per_call) or a tenant rule reads end users
-- (not kept in the summary), come from the calls themselves. Both give the same sums.
-- Log Analytics hourly rollups fill the hours that have no call.
-- A call counts as sample_weight calls (042_sample_weight.sql): its counts and tokens are
-- multiplied by it, so a sampled source's totals are those of the calls it stands for.
-- One call as a row of usage_source().
CREATE OR REPLACE VIEW call_usage AS
-- Read from calls itself, with the keys of 01_call_keys.sql written out: a view over
-- call_keys (every calls column) is bound again wherever usage_source() is expanded.
SELECT
    c.call_id,
    c.start_time,
    date_trunc('hour', c.start_time) AS hour,
    CAST(c.start_time AS DATE) AS day,
    c.deployment,
    c.model,
    c.region,
    c.deployment_type,
    tenant_key(used.attribute, c.tenant_id) AS tenant_attr,
    tenant_key(used.apim_subscription, c.apim_subscription) AS apim_key,
    tenant_key(used.end_user, c.end_user) AS end_user_key,
    tenant_key(used.service, c.service) AS service_key,
    coalesce(c.service, '') AS service,
    c.filter_action,
    CASE WHEN c.filter_action IN ('blocked_prompt', 'filtered_completion')
        THEN coalesce(c.end_user, '') END AS incident_end_user,
    billed_service_tier(c.service_tier) AS service_tier,
    context_tier_above(t.long_above_tokens, c.input_tokens) AS context_tier,
    c.weight AS requests,
    CASE WHEN c.status = 'error' THEN c.weight ELSE 0 END AS errors,
    CASE WHEN c.http_status = 429 THEN c.weight ELSE 0 END AS throttled,
    CASE WHEN c.deployment_source = 'unknown' THEN c.weight ELSE 0 END AS unknown_deployment,
    CASE WHEN synthetic_call(c.attributes) THEN c.weight ELSE 0 END AS synthetic,
    CASE WHEN tokens_unknown(c.status, c.input_tokens, c.output_tokens) THEN c.weight ELSE 0 END
        AS unknown_tokens,
    coalesce(c.input_tokens, 0) * c.weight AS input_tokens,
    coalesce(c.cached_input_tokens, 0) * c.weight AS cached_input_tokens,
    coalesce(c.output_tokens, 0) * c.weight AS output_tokens,
    coalesce(c.reasoning_tokens, 0) * c.weight AS reasoning_tokens,
    coalesce(c.cache_write_tokens, 0) * c.weight AS cache_write_tokens
FROM (
    SELECT
        call_id, start_time, deployment, model, region, deployment_type, tenant_id,
        apim_subscription, end_user, service, filter_action, service_tier, status, http_status,
        deployment_source, attributes, input_tokens, cached_input_tokens, output_tokens,
        reasoning_tokens, cache_write_tokens, call_weight(sample_weight) AS weight
    FROM calls
) AS c
CROSS JOIN tenant_rule_kinds AS used
LEFT JOIN context_tiers AS t ON t.model = base_model(c.model);

CREATE OR REPLACE MACRO usage_source(start_ts, end_ts, per_call, hours := 1) AS TABLE
WITH mode AS (
    -- Calls only: a call-by-call answer, or a tenant rule on end users is in use.
    SELECT per_call OR (SELECT end_user FROM tenant_rule_kinds) AS calls_only
)
SELECT
    NULL AS call_id,
    NULL AS start_time,
    u.hour,
    CAST(u.hour AS DATE) AS day,
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
    u.service_tier,
    u.context_tier,
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
    u.cache_write_tokens
FROM usage_hourly AS u, mode AS w, tenant_rule_kinds AS used
-- The whole hours: [the first hour after start_ts, the hour of end_ts).
WHERE NOT w.calls_only
    AND hours = 1
    AND u.hour >= date_trunc('hour', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 hour
    AND u.hour < date_trunc('hour', end_ts)
UNION ALL
-- The same whole hours summed per `hours` hours (6 or 24: buckets from UTC midnight), for a
-- chart of that bucket or wider: fewer rows to price, the same sums, without the end users of
-- incidents (safety_by_end_user.sql reads them per hour). Rows are summed only
-- with rows that price alike: the same keys, and whether they hold tokens, unknown tokens
-- and output tokens (what makes a group unpriced in costed_usage(), and what
-- pricing_coverage.sql and overview_totals.sql count apart).
SELECT
    NULL AS call_id,
    NULL AS start_time,
    b.bucket AS hour,
    CAST(b.bucket AS DATE) AS day,
    b.deployment,
    nullif(b.model, '') AS model,
    nullif(b.region, '') AS region,
    nullif(b.deployment_type, '') AS deployment_type,
    tenant_key(used.attribute, b.tenant_id) AS tenant_attr,
    tenant_key(used.apim_subscription, b.apim_subscription) AS apim_key,
    '' AS end_user_key,
    tenant_key(used.service, b.service) AS service_key,
    b.service,
    b.filter_action,
    NULL AS incident_end_user,
    b.service_tier,
    b.context_tier,
    sum(b.requests) AS requests,
    sum(b.errors) AS errors,
    sum(b.throttled) AS throttled,
    sum(b.unknown_deployment) AS unknown_deployment,
    sum(b.synthetic) AS synthetic,
    sum(b.unknown_tokens) AS unknown_tokens,
    sum(b.input_tokens) AS input_tokens,
    sum(b.cached_input_tokens) AS cached_input_tokens,
    sum(b.output_tokens) AS output_tokens,
    sum(b.reasoning_tokens) AS reasoning_tokens,
    sum(b.cache_write_tokens) AS cache_write_tokens
FROM (
    SELECT
        u.*,
        make_timestamptz(epoch_us(u.hour) // (hours * 3600000000) * (hours * 3600000000))
            AS bucket,
        u.input_tokens + u.output_tokens > 0 AS has_tokens,
        u.unknown_tokens > 0 AS has_unknown_tokens,
        u.output_tokens > 0 AS has_output_tokens
    FROM usage_hourly AS u, mode AS w
    WHERE NOT w.calls_only
        AND hours > 1
        AND u.hour >= date_trunc('hour', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 hour
        AND u.hour < date_trunc('hour', end_ts)
) AS b, tenant_rule_kinds AS used
GROUP BY
    b.bucket, b.deployment, b.model, b.region, b.deployment_type, b.tenant_id,
    b.apim_subscription, b.service, b.filter_action, b.service_tier,
    b.context_tier, b.has_tokens, b.has_unknown_tokens, b.has_output_tokens,
    used.attribute, used.apim_subscription, used.service
UNION ALL
-- The calls: each of them for a call-by-call answer; all of them summed per hour and keys
-- while an end-user rule is in use; else those of the partial hours at either edge. Each
-- branch names its bounds as values, so the scan reads only their row groups.
SELECT c.*
FROM call_usage AS c
WHERE per_call AND c.start_time >= start_ts AND c.start_time < end_ts
UNION ALL
SELECT
    NULL AS call_id, NULL AS start_time, hour, day, deployment, model, region,
    deployment_type, tenant_attr, apim_key, end_user_key, service_key, service,
    filter_action, incident_end_user, service_tier, context_tier,
    sum(requests), sum(errors), sum(throttled), sum(unknown_deployment), sum(synthetic),
    sum(unknown_tokens), sum(input_tokens), sum(cached_input_tokens), sum(output_tokens), sum(reasoning_tokens),
    sum(cache_write_tokens)
FROM call_usage AS c, mode AS w
WHERE NOT per_call AND w.calls_only AND c.start_time >= start_ts AND c.start_time < end_ts
GROUP BY ALL
UNION ALL
SELECT c.*
FROM call_usage AS c, mode AS w
WHERE NOT w.calls_only
    AND c.start_time >= start_ts
    AND c.start_time < end_ts
    AND (c.start_time < date_trunc('hour', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 hour
        OR c.start_time >= date_trunc('hour', end_ts))
UNION ALL
-- Hourly rollups (Log Analytics rollup mode stores only aggregates) for the hours that have
-- no call, so an hour is never counted twice. Every hour with a call is in usage_hourly.
SELECT
    'rollup:' || r.source || ':' || strftime(r.hour, '%Y-%m-%dT%H') || ':' || r.deployment
        || ':' || coalesce(r.apim_subscription, '') || ':' || coalesce(r.tenant_id, '')
        || ':' || r.status || ':' || coalesce(r.model, '') AS call_id,
    r.hour AS start_time,
    date_trunc('hour', r.hour) AS hour,
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
    'default' AS service_tier,
    'short' AS context_tier,
    r.requests,
    CASE WHEN r.status = 'error' THEN r.requests ELSE 0 END AS errors,
    0 AS throttled,
    0 AS unknown_deployment,
    0 AS synthetic,
    0 AS unknown_tokens,
    r.input_tokens,
    r.cached_input_tokens,
    r.output_tokens,
    r.reasoning_tokens,
    coalesce(r.cache_write_tokens, 0) AS cache_write_tokens
FROM usage_rollups AS r, tenant_rule_kinds AS used
ANTI JOIN (
    SELECT DISTINCT hour
    FROM usage_hourly
    WHERE hour >= date_trunc('hour', start_ts) AND hour < end_ts
) AS h ON h.hour = date_trunc('hour', r.hour)
WHERE r.hour >= start_ts AND r.hour < end_ts;
