-- name: safety_heatmap
-- returns: target, category, severity, calls, filtered (one row per prompt|completion x category x severity with a verdict that detected or filtered something)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- Verdicts with severity 'safe' and nothing detected are not incidents and are left out.
-- A call counts once per cell, call_weight() times (00_call_weight.sql).
WITH hits AS (
    SELECT
        r.target,
        r.category,
        coalesce(r.severity, 'detected') AS severity,
        r.call_id,
        any_value(call_weight(c.sample_weight)) AS weight,
        bool_or(r.filtered) AS filtered
    FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services) AS c
    JOIN filter_results AS r
        ON r.call_id = c.call_id
        -- Only the verdicts written near the range (033_verdict_time.sql).
        AND r.start_time >= $start - INTERVAL 1 day AND r.start_time < $end + INTERVAL 1 day
    WHERE c.filter_action <> 'none'  -- a call with such a verdict is annotated, blocked or filtered
        AND (r.filtered OR coalesce(r.detected, false) OR coalesce(r.severity, 'safe') <> 'safe')
    GROUP BY ALL
)
SELECT
    target,
    category,
    severity,
    weighted(sum(weight)) AS calls,
    weighted(sum(weight) FILTER (WHERE filtered)) AS filtered
FROM hits
GROUP BY ALL
ORDER BY target, category, severity;
