-- name: safety_by_group
-- returns: {group_by}, calls, blocked_prompts, filtered_completions, annotated, incidents, incident_rate, incident_cost_usd (one row per group with any verdict, most incidents first)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- choices: group_by = tenant_id|deployment|end_user
WITH u AS (
    SELECT *, coalesce(nullif(end_user_key, ''), '(none)') AS end_user
    FROM filtered_usage($start, $end, $tenants, $deployments, $models, $types, $services)
)
SELECT
    {group_by},
    sum(requests) AS calls,
    coalesce(sum(requests) FILTER (WHERE filter_action = 'blocked_prompt'), 0)
        AS blocked_prompts,
    coalesce(sum(requests) FILTER (WHERE filter_action = 'filtered_completion'), 0)
        AS filtered_completions,
    coalesce(sum(requests) FILTER (WHERE filter_action = 'annotated'), 0) AS annotated,
    coalesce(sum(requests) FILTER (
        WHERE filter_action IN ('blocked_prompt', 'filtered_completion')), 0) AS incidents,
    coalesce(sum(requests) FILTER (
        WHERE filter_action IN ('blocked_prompt', 'filtered_completion'))
        / sum(requests), 0) AS incident_rate,
    coalesce(sum(payg_cost_usd) FILTER (
        WHERE filter_action IN ('blocked_prompt', 'filtered_completion')), 0)
        AS incident_cost_usd
FROM u
GROUP BY ALL
HAVING sum(requests) FILTER (WHERE filter_action <> 'none') > 0
ORDER BY incidents DESC, annotated DESC, {group_by}
LIMIT 50;
