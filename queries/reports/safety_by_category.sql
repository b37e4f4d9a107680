-- name: safety_by_category
-- returns: category, intervention_point, calls, detected, filtered, blocked_or_filtered_calls (one row per category x intervention point with a verdict that detected or filtered something; categories in $categories only, all when empty)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $categories VARCHAR[]
-- Every category is counted as Azure names it, those the lens does not know too; each
-- custom blocklist is its own category (custom_blocklists:{id}). A verdict written before
-- 047_verdict_details.sql names no intervention point and takes its target's. A call
-- counts once per row, call_weight() times (00_call_weight.sql).
WITH hits AS (
    SELECT
        r.category,
        coalesce(
            r.intervention_point,
            CASE r.target WHEN 'prompt' THEN 'user_input' ELSE 'output' END
        ) AS intervention_point,
        r.call_id,
        any_value(call_weight(c.sample_weight)) AS weight,
        bool_or(coalesce(r.detected, false) OR coalesce(r.severity, 'safe') <> 'safe') AS detected,
        bool_or(r.filtered) AS filtered,
        any_value(c.filter_action IN ('blocked_prompt', 'filtered_completion')) AS incident
    FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services) AS c
    JOIN filter_results AS r
        ON r.call_id = c.call_id
        -- Only the verdicts written near the range (033_verdict_time.sql).
        AND r.start_time >= $start - INTERVAL 1 day AND r.start_time < $end + INTERVAL 1 day
    WHERE c.filter_action <> 'none'
        AND (r.filtered OR coalesce(r.detected, false) OR coalesce(r.severity, 'safe') <> 'safe')
        AND keeps($categories, r.category)
    GROUP BY ALL
)
SELECT
    category,
    intervention_point,
    weighted(sum(weight)) AS calls,
    weighted(sum(weight) FILTER (WHERE detected)) AS detected,
    weighted(sum(weight) FILTER (WHERE filtered)) AS filtered,
    weighted(sum(weight) FILTER (WHERE incident)) AS blocked_or_filtered_calls
FROM hits
GROUP BY ALL
ORDER BY calls DESC, category, intervention_point;
