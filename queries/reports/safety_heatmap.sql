-- name: safety_heatmap
-- returns: target, category, severity, calls, filtered (one row per prompt|completion x category x severity with a verdict that detected or filtered something)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $summarised BOOLEAN, $stale TIMESTAMPTZ[], $calls_from TIMESTAMPTZ
-- Verdicts with severity 'safe' and nothing detected are not incidents and are left out.
-- A call counts once per cell, call_weight() times (00_call_weight.sql).
-- With $summarised, the whole hours are read from the verdict summary
-- (safety_heatmap_hourly, 23_safety_source.sql) but for those in $stale, which it does not
-- answer for (stale_safety_hours, in the same transaction); those, the partial hours at
-- either edge, and every hour without $summarised, are read from the calls and their
-- verdicts, from $calls_from (the first hour in $stale; the first whole hour without
-- $summarised) on. Filters as in filtered_calls(), on the cells' keys.
WITH cells AS (
    SELECT s.*, '' AS end_user_key
    FROM safety_heatmap_hourly AS s
    WHERE $summarised
        AND s.hour >= date_trunc('hour', $start - INTERVAL 1 microsecond) + INTERVAL 1 hour
        AND s.hour < date_trunc('hour', $end)
        AND NOT list_contains($stale, s.hour)
    UNION ALL BY NAME
    -- The partial hour at the start.
    SELECT *
    FROM safety_heatmap_cells(
        $start, least(date_trunc('hour', $start - INTERVAL 1 microsecond) + INTERVAL 1 hour, $end)
    )
    UNION ALL BY NAME
    -- The hours not answered for, and the partial hour at the end.
    SELECT *
    FROM safety_heatmap_cells(
        greatest($calls_from, date_trunc('hour', $start - INTERVAL 1 microsecond) + INTERVAL 1 hour),
        $end
    )
    WHERE NOT $summarised OR list_contains($stale, hour) OR hour >= date_trunc('hour', $end)
),
kept AS (
    SELECT
        c.*,
        tenant_key(used.attribute, c.tenant_id) AS tenant_attr,
        tenant_key(used.apim_subscription, c.apim_subscription) AS apim_key,
        tenant_key(used.service, c.service) AS service_key
    FROM cells AS c
    LEFT JOIN deployments AS d ON d.deployment = c.deployment
    CROSS JOIN tenant_rule_kinds AS used
    WHERE keeps($deployments, c.deployment)
        AND keeps($models, coalesce(nullif(c.model, ''), d.model, ''))
        AND keeps($types, coalesce(nullif(c.deployment_type, ''), d.deployment_type, 'GlobalStandard'))
        AND keeps($services, c.service)
),
chosen AS (
    SELECT * FROM kept WHERE len($tenants) = 0
    UNION ALL
    SELECT k.*
    FROM kept AS k
    SEMI JOIN (
        SELECT * FROM tenant_keys_between($start, $end) WHERE list_contains($tenants, tenant_id)
    ) AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    WHERE len($tenants) > 0
)
SELECT
    target,
    category,
    severity,
    CAST(sum(calls) AS BIGINT) AS calls,
    CAST(sum(filtered) AS BIGINT) AS filtered
FROM chosen
GROUP BY ALL
ORDER BY target, category, severity;
