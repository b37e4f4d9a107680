-- name: routing_by_group
-- returns: {group_by} ('' when the calls do not say), calls, failed_over, spilled, throttled, payg_cost_usd, share_of_spend (one row per group, most calls first)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- choices: group_by = region|endpoint|backend
-- Where calls were served: the serving region (x-ms-region), the endpoint that answered
-- (server.address) or the API Management backend. Spend is each call's pay-as-you-go cost
-- (costed_usage, per call, at the price in force at its time); counts are weighted by
-- call_weight().
WITH f AS (
    SELECT call_id, coalesce({group_by}, '') AS {group_by}, call_weight(sample_weight) AS w,
           failover_from, spillover, http_status
    FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
),
costed AS (
    SELECT f.*, coalesce(k.payg_cost_usd, 0) AS payg_cost_usd
    FROM f
    LEFT JOIN (SELECT call_id, payg_cost_usd FROM costed_usage($start, $end, true)) AS k
        USING (call_id)
)
SELECT
    {group_by},
    weighted(sum(w)) AS calls,
    weighted(sum(w) FILTER (WHERE failover_from IS NOT NULL)) AS failed_over,
    weighted(sum(w) FILTER (WHERE spillover)) AS spilled,
    weighted(sum(w) FILTER (WHERE http_status = 429)) AS throttled,
    sum(payg_cost_usd) AS payg_cost_usd,
    coalesce(sum(payg_cost_usd) / nullif(sum(sum(payg_cost_usd)) OVER (), 0), 0)
        AS share_of_spend
FROM costed
GROUP BY {group_by}
ORDER BY calls DESC, {group_by};
