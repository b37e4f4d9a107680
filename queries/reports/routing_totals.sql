-- name: routing_totals
-- returns: calls, routed_calls (calls that say anything of their route), failover_known (calls whose client says whether it failed over), failed_over, failover_rate, spillover_known (calls that asked for spillover or used it), spilled, spillover_share, priority_asked (calls that asked for Priority and say which tier served them), downgraded, downgrade_share (one row)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- Each share is over the calls that can say it (049_call_routing.sql), not over every call:
-- a source that cannot see failover (a gateway log) does not dilute the failover rate.
-- failover_rate = calls answered by an endpoint other than the first in priority order /
-- calls whose client recorded its attempts. spillover_share = calls a standard deployment
-- served for a provisioned one / calls that asked for spillover or used it.
-- downgrade_share = calls that asked for priority and were served at default / calls that
-- asked for priority and say which tier served them. Counts are weighted by call_weight().
WITH f AS (
    SELECT
        *,
        call_weight(sample_weight) AS w,
        failover_from IS NOT NULL OR attempts IS NOT NULL AS failover_said,
        service_tier_requested = 'priority' AND service_tier IS NOT NULL AS priority_said
    FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
),
counts AS (
    SELECT
        weighted(sum(w)) AS calls,
        weighted(sum(w) FILTER (WHERE failover_said OR spillover IS NOT NULL
            OR service_tier IS NOT NULL OR service_tier_requested IS NOT NULL
            OR backend IS NOT NULL)) AS routed_calls,
        weighted(sum(w) FILTER (WHERE failover_said)) AS failover_known,
        weighted(sum(w) FILTER (WHERE failover_from IS NOT NULL)) AS failed_over,
        weighted(sum(w) FILTER (WHERE spillover IS NOT NULL)) AS spillover_known,
        weighted(sum(w) FILTER (WHERE spillover)) AS spilled,
        weighted(sum(w) FILTER (WHERE priority_said)) AS priority_asked,
        weighted(sum(w) FILTER (WHERE priority_said AND service_tier = 'default')) AS downgraded
    FROM f
)
SELECT
    calls,
    routed_calls,
    failover_known,
    failed_over,
    failed_over / nullif(failover_known, 0) AS failover_rate,
    spillover_known,
    spilled,
    spilled / nullif(spillover_known, 0) AS spillover_share,
    priority_asked,
    downgraded,
    downgraded / nullif(priority_asked, 0) AS downgrade_share
FROM counts;
