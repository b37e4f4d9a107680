-- name: fill_usage_days
-- returns: nothing; usage_daily summed again for the given UTC days, or for every day when $days is null (after clear_usage_days or clear_usage_daily)
-- params: $days DATE[]
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
FROM calls
WHERE $days IS NULL OR list_contains($days, CAST(start_time AS DATE))
GROUP BY ALL;
