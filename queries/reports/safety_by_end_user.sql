-- name: safety_by_end_user
-- returns: end_user, calls, blocked_prompts, filtered_completions, annotated, incidents, incident_rate, incident_cost_usd (one row per end user with any verdict, '(none)' for calls that name none, most incidents first, at most 50)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- Counts come from the calls, each call_weight() times; the cost of incidents from their price groups, which keep
-- the end user of blocked and filtered calls.
WITH counts AS (
    SELECT
        coalesce(nullif(end_user, ''), '(none)') AS end_user,
        weighted(sum(call_weight(sample_weight))) AS calls,
        weighted(sum(call_weight(sample_weight)) FILTER (WHERE filter_action = 'blocked_prompt'))
            AS blocked_prompts,
        weighted(sum(call_weight(sample_weight))
            FILTER (WHERE filter_action = 'filtered_completion')) AS filtered_completions,
        weighted(sum(call_weight(sample_weight)) FILTER (WHERE filter_action = 'annotated'))
            AS annotated
    FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
    GROUP BY ALL
    HAVING count(*) FILTER (WHERE filter_action <> 'none') > 0
),
costs AS (
    SELECT
        coalesce(nullif(incident_end_user, ''), '(none)') AS end_user,
        sum(payg_cost_usd) AS incident_cost_usd
    FROM filtered_usage($start, $end, $tenants, $deployments, $models, $types, $services)
    WHERE filter_action IN ('blocked_prompt', 'filtered_completion')
    GROUP BY ALL
)
SELECT
    counts.*,
    blocked_prompts + filtered_completions AS incidents,
    (blocked_prompts + filtered_completions) / calls AS incident_rate,
    coalesce(costs.incident_cost_usd, 0) AS incident_cost_usd
FROM counts
LEFT JOIN costs USING (end_user)
ORDER BY incidents DESC, annotated DESC, end_user
LIMIT 50;
