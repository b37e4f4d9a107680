-- name: safety_by_group
-- returns: {group_by}, calls, blocked_prompts, filtered_completions, annotated, incidents, incident_rate, incident_cost_usd (one row per group with any verdict, most incidents first, at most 50, from the registered relation scoped_usage)
-- params:
-- choices: group_by = tenant_id|deployment
-- Counts and the cost of incidents from the price groups (see safety_by_end_user.sql for
-- end users, whom only incidents keep in the groups).
WITH counts AS (
    SELECT
        {group_by},
        sum(requests) AS calls,
        coalesce(sum(requests) FILTER (WHERE filter_action = 'blocked_prompt'), 0)
            AS blocked_prompts,
        coalesce(sum(requests) FILTER (WHERE filter_action = 'filtered_completion'), 0)
            AS filtered_completions,
        coalesce(sum(requests) FILTER (WHERE filter_action = 'annotated'), 0) AS annotated,
        coalesce(sum(payg_cost_usd) FILTER (
            WHERE filter_action IN ('blocked_prompt', 'filtered_completion')), 0)
            AS incident_cost_usd
    FROM scoped_usage
    GROUP BY {group_by}
    HAVING sum(requests) FILTER (WHERE filter_action <> 'none') > 0
)
SELECT
    {group_by},
    calls,
    blocked_prompts,
    filtered_completions,
    annotated,
    blocked_prompts + filtered_completions AS incidents,
    (blocked_prompts + filtered_completions) / calls AS incident_rate,
    incident_cost_usd
FROM counts
ORDER BY incidents DESC, annotated DESC, {group_by}
LIMIT 50;
