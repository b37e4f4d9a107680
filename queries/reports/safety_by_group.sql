-- name: safety_by_group
-- returns: {group_by}, calls, blocked_prompts, filtered_completions, annotated, incidents, incident_rate, incident_cost_usd (one row per group with any verdict, most incidents first, at most 50)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- choices: group_by = tenant_id|deployment|end_user
-- Counts come from the calls; the cost of incidents from their price groups, which keep
-- the end user of blocked and filtered calls.
WITH counts AS (
    SELECT
        {group_by},
        count(*) AS calls,
        count(*) FILTER (WHERE filter_action = 'blocked_prompt') AS blocked_prompts,
        count(*) FILTER (WHERE filter_action = 'filtered_completion') AS filtered_completions,
        count(*) FILTER (WHERE filter_action = 'annotated') AS annotated
    FROM (
        SELECT * EXCLUDE (end_user), coalesce(nullif(end_user, ''), '(none)') AS end_user
        FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
    )
    GROUP BY {group_by}
    HAVING count(*) FILTER (WHERE filter_action <> 'none') > 0
),
costs AS (
    SELECT {group_by}, sum(payg_cost_usd) AS incident_cost_usd
    FROM (
        SELECT *, coalesce(nullif(incident_end_user, ''), '(none)') AS end_user
        FROM filtered_usage($start, $end, $tenants, $deployments, $models, $types, $services)
        WHERE filter_action IN ('blocked_prompt', 'filtered_completion')
    )
    GROUP BY {group_by}
)
SELECT
    counts.*,
    blocked_prompts + filtered_completions AS incidents,
    (blocked_prompts + filtered_completions) / calls AS incident_rate,
    coalesce(costs.incident_cost_usd, 0) AS incident_cost_usd
FROM counts
LEFT JOIN costs USING ({group_by})
ORDER BY incidents DESC, annotated DESC, {group_by}
LIMIT 50;
