-- name: add_usage_daily
-- returns: nothing; adds the calls of the registered relations incoming_calls whose ids are in new_call_ids to usage_daily
-- params:
-- Run in the same transaction as the insert, with only the calls it really inserted.
INSERT INTO usage_daily BY NAME
SELECT
    CAST(start_time AS DATE) AS day,
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
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(cached_input_tokens), 0) AS cached_input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens,
    coalesce(sum(reasoning_tokens), 0) AS reasoning_tokens
-- A call twice in one group was inserted once: count it once.
FROM (SELECT DISTINCT ON (call_id) * FROM incoming_calls)
WHERE call_id IN (SELECT call_id FROM new_call_ids)
GROUP BY ALL
ON CONFLICT DO UPDATE SET
    requests = requests + EXCLUDED.requests,
    input_tokens = input_tokens + EXCLUDED.input_tokens,
    cached_input_tokens = cached_input_tokens + EXCLUDED.cached_input_tokens,
    output_tokens = output_tokens + EXCLUDED.output_tokens,
    reasoning_tokens = reasoning_tokens + EXCLUDED.reasoning_tokens;
