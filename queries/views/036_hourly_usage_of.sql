-- name: 036_hourly_usage_of
-- returns: table macro hourly_usage_of(relation): the rows of usage_hourly (hour, deployment, model, region, deployment_type, tenant_id, apim_subscription, service, filter_action, incident_end_user, requests, errors, throttled, unknown_deployment, synthetic, token sums) summed from the calls in the named table or registered relation
-- params:
-- One definition of the summary's sums, for the calls of one commit (add_usage_hourly.sql)
-- and for the whole ledger or some days of it (fill_usage_days.sql).
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
    count(*) AS requests,
    count(*) FILTER (WHERE status = 'error') AS errors,
    count(*) FILTER (WHERE http_status = 429) AS throttled,
    count(*) FILTER (WHERE deployment_source = 'unknown') AS unknown_deployment,
    count(*) FILTER (WHERE synthetic_call(attributes)) AS synthetic,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(cached_input_tokens), 0) AS cached_input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens
FROM query_table(relation)
GROUP BY ALL;
