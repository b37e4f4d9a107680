-- name: safety_by_category
-- returns: category, intervention_point, calls, detected, filtered, blocked_or_filtered_calls (one row per category x intervention point with a verdict that detected or filtered something; categories in $categories only, all when empty)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $summarised BOOLEAN, $stale TIMESTAMPTZ[], $calls_from TIMESTAMPTZ, $categories VARCHAR[]
-- Every category is counted as Azure names it, those the lens does not know too; each
-- custom blocklist is its own category (custom_blocklists:{id}). A verdict written before
-- 047_verdict_details.sql names no intervention point and takes its target's. A call
-- counts once per row, call_weight() times (00_call_weight.sql).
-- Read as safety_heatmap.sql reads ($summarised, $stale, $calls_from): the whole hours the
-- verdict summary answers for from safety_category_hourly, the others from the calls.
WITH cells AS (
    SELECT s.*, '' AS end_user_key
    FROM safety_category_hourly AS s
    WHERE $summarised
        AND s.hour >= date_trunc('hour', $start - INTERVAL 1 microsecond) + INTERVAL 1 hour
        AND s.hour < date_trunc('hour', $end)
        AND NOT list_contains($stale, s.hour)
    UNION ALL BY NAME
    -- The partial hour at the start.
    SELECT *
    FROM safety_category_cells(
        $start, least(date_trunc('hour', $start - INTERVAL 1 microsecond) + INTERVAL 1 hour, $end)
    )
    UNION ALL BY NAME
    -- The hours not answered for, and the partial hour at the end.
    SELECT *
    FROM safety_category_cells(
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
    category,
    intervention_point,
    CAST(sum(calls) AS BIGINT) AS calls,
    CAST(sum(detected) AS BIGINT) AS detected,
    CAST(sum(filtered) AS BIGINT) AS filtered,
    CAST(sum(incidents) AS BIGINT) AS blocked_or_filtered_calls
FROM chosen
WHERE keeps($categories, category)
GROUP BY ALL
ORDER BY calls DESC, category, intervention_point;
