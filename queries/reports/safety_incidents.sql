-- name: safety_incidents
-- returns: call_id, start_time, tenant_id, deployment, end_user, filter_action, categories, worst_severity (one row per incident call, newest first, at most $limit)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $limit INTEGER
-- With no filter chosen, the newest $limit incidents are read from the latest whole hour
-- after which the hourly summary holds at least $limit rows of incidents: each such row
-- stands for at least one incident call of its hour, so that hour's start is a lower bound
-- for the $limit-th newest, and the scan of calls stops there instead of reading the range.
WITH since AS (
    SELECT coalesce(
        max(hour) FILTER (
            WHERE rows_since >= $limit
                AND len($tenants) + len($deployments) + len($models) + len($types)
                    + len($services) = 0
        ),
        $start
    ) AS cutoff
    FROM (
        SELECT hour, sum(count(*)) OVER (ORDER BY hour DESC) AS rows_since
        FROM usage_hourly
        -- Whole hours inside [$start, $end) only: every call they count is in the range.
        WHERE hour >= date_trunc('hour', $start - INTERVAL 1 microsecond) + INTERVAL 1 hour
            AND hour < date_trunc('hour', $end)
            AND filter_action IN ('blocked_prompt', 'filtered_completion')
            AND requests > 0
        GROUP BY hour
    )
),
newest AS (
    SELECT
        call_id, start_time, deployment, end_user, filter_action,
        tenant_attr, apim_key, end_user_key, service_key
    FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
    WHERE filter_action IN ('blocked_prompt', 'filtered_completion')
        AND start_time >= (SELECT cutoff FROM since)
    ORDER BY start_time DESC, call_id
    LIMIT $limit
),
incidents AS (
    SELECT n.call_id, n.start_time, t.tenant_id, n.deployment, n.end_user, n.filter_action
    FROM newest AS n
    JOIN tenant_keys_between($start, $end) AS t
        USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
)
SELECT
    i.call_id,
    i.start_time,
    i.tenant_id,
    i.deployment,
    i.end_user,
    i.filter_action,
    coalesce(
        string_agg(
            DISTINCT r.target || ':' || r.category, ', '
            ORDER BY r.target || ':' || r.category
        ) FILTER (WHERE r.filtered),
        ''
    ) AS categories,
    CASE max(CASE r.severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 END)
        WHEN 3 THEN 'high' WHEN 2 THEN 'medium' WHEN 1 THEN 'low' ELSE ''
    END AS worst_severity
FROM incidents AS i
LEFT JOIN filter_results AS r
    ON r.call_id = i.call_id
    -- Only the verdicts written near the range (033_verdict_time.sql).
    AND r.start_time >= $start - INTERVAL 1 day AND r.start_time < $end + INTERVAL 1 day
GROUP BY ALL
ORDER BY i.start_time DESC, i.call_id;
