-- name: 036_hourly_usage_of
-- returns: table macro hourly_usage_of(relation): the rows of usage_hourly (hour, deployment, model, region, deployment_type, tenant_id, apim_subscription, service, filter_action, incident_end_user, service_tier, context_tier, requests, errors, throttled, unknown_deployment, synthetic, unknown_tokens, token sums) summed from the calls in the named table or registered relation
-- params:
-- One definition of the summary's sums, for the calls of one commit (add_usage_hourly.sql)
-- and for the whole ledger or some days of it (fill_usage_days.sql).
-- Each call counts call_weight() times (00_call_weight.sql).
CREATE OR REPLACE MACRO hourly_usage_of(relation) AS TABLE
SELECT
    date_trunc('hour', start_time) AS hour,
    deployment,
    coalesce(model, '') AS model,
    coalesce(region, '') AS region,
    coalesce(deployment_type, '') AS deployment_type,
    coalesce(tenant_id, '') AS tenant_id,
    coalesce(apim_subscription, '') AS apim_subscription,
    coalesce(service, '') AS service,
    filter_action,
    CASE WHEN filter_action IN ('blocked_prompt', 'filtered_completion')
        THEN coalesce(end_user, '') ELSE '' END AS incident_end_user,
    billed_service_tier(service_tier) AS service_tier,
    context_tier_above(long_above_tokens, input_tokens) AS context_tier,
    weighted(sum(weight)) AS requests,
    weighted(sum(weight) FILTER (WHERE status = 'error')) AS errors,
    weighted(sum(weight) FILTER (WHERE http_status = 429)) AS throttled,
    weighted(sum(weight) FILTER (WHERE deployment_source = 'unknown')) AS unknown_deployment,
    weighted(sum(weight) FILTER (WHERE synthetic_call(attributes))) AS synthetic,
    weighted(sum(weight) FILTER (WHERE tokens_unknown(status, input_tokens, output_tokens)))
        AS unknown_tokens,
    weighted(sum(input_tokens * weight)) AS input_tokens,
    weighted(sum(cached_input_tokens * weight)) AS cached_input_tokens,
    weighted(sum(output_tokens * weight)) AS output_tokens,
    weighted(sum(reasoning_tokens * weight)) AS reasoning_tokens,
    weighted(sum(coalesce(cache_write_tokens, 0) * weight)) AS cache_write_tokens
FROM (
    SELECT c.*, call_weight(c.sample_weight) AS weight, t.long_above_tokens
    FROM query_table(relation) AS c
    LEFT JOIN context_tiers AS t ON t.model = base_model(c.model)
)
GROUP BY ALL;
