-- name: failover_extra_cost
-- returns: rerouted_calls (calls failed over or spilled over), priced_calls (those whose intended place has a price), served_cost_usd, intended_cost_usd, extra_cost_usd (served minus intended, over priced_calls), unpriced_calls (rerouted calls whose intended place served no priced call in the range) (one row)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- The extra cost of failover: the same tokens priced where they were served minus where they
-- were meant to be.
-- - A rerouted call was served by another endpoint (failover_from: the first endpoint in
--   priority order) or, within its resource, by the standard deployment its provisioned one
--   spilled over to (spillover_from). Its intended place is the deployment it was meant for
--   (spillover_from, else its own) on the endpoint it was meant for (the host of
--   failover_from, else its own).
-- - Served cost: the call's pay-as-you-go cost as the cost view prices it (costed_usage,
--   per call, at the price in force at its time).
-- - Intended cost: its tokens at the intended place's prices per token class (uncached
--   input, cached input, output), read from the same cost view: the cost of the calls that
--   place served itself in the range (neither failed over nor spilled) over their tokens. A
--   provisioned deployment's calls cost nothing per token (its hours are paid anyway), so a
--   spilled call's whole cost is extra. With no cached or output tokens at that place, the
--   input price stands for cached input, and output is priced at 0.
-- - Costs are weighted already (costed_usage multiplies tokens by the call's weight); counts
--   are weighted by call_weight().
-- - A rerouted call whose intended place served no priced call in the range cannot be
--   priced there: it is counted in unpriced_calls and left out of the three sums.
WITH f AS (
    SELECT
        call_id, endpoint, deployment, failover_from, spillover, spillover_from,
        call_weight(sample_weight) AS w,
        failover_from IS NOT NULL OR coalesce(spillover, false) AS rerouted
    FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
),
-- Read twice below (the places' prices, the rerouted calls): priced once.
costed AS MATERIALIZED (
    SELECT
        f.*,
        k.priced,
        k.input_tokens - k.cached_input_tokens AS uncached_tokens,
        k.cached_input_tokens,
        k.output_tokens,
        k.input_cost_usd,
        k.cached_input_cost_usd,
        k.output_cost_usd,
        k.payg_cost_usd
    FROM f
    JOIN costed_usage($start, $end, true) AS k USING (call_id)
),
-- The prices per token class of each place, from the calls it served itself.
place_prices AS (
    SELECT
        coalesce(endpoint, '') AS place_endpoint,
        deployment AS place_deployment,
        sum(input_cost_usd) / nullif(sum(uncached_tokens), 0) AS input_per_token,
        sum(cached_input_cost_usd) / nullif(sum(cached_input_tokens), 0) AS cached_per_token,
        sum(output_cost_usd) / nullif(sum(output_tokens), 0) AS output_per_token
    FROM costed
    WHERE NOT rerouted AND priced AND uncached_tokens + cached_input_tokens > 0
    GROUP BY ALL
),
rerouted AS (
    SELECT
        c.*,
        coalesce(CASE WHEN c.failover_from IS NOT NULL
                      THEN lower(regexp_extract(c.failover_from,
                                                '^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#@]*)', 1))
                 END, c.endpoint, '') AS place_endpoint,
        coalesce(CASE WHEN c.spillover THEN c.spillover_from END, c.deployment)
            AS place_deployment
    FROM costed AS c
    WHERE c.rerouted
),
intended AS (
    SELECT
        r.w,
        r.payg_cost_usd AS served_usd,
        p.input_per_token IS NOT NULL AS has_price,
        r.uncached_tokens * p.input_per_token
            + r.cached_input_tokens * coalesce(p.cached_per_token, p.input_per_token)
            + r.output_tokens * coalesce(p.output_per_token, 0) AS intended_usd
    FROM rerouted AS r
    LEFT JOIN place_prices AS p USING (place_endpoint, place_deployment)
)
SELECT
    weighted(sum(w)) AS rerouted_calls,
    weighted(sum(w) FILTER (WHERE has_price)) AS priced_calls,
    coalesce(sum(served_usd) FILTER (WHERE has_price), 0) AS served_cost_usd,
    coalesce(sum(intended_usd) FILTER (WHERE has_price), 0) AS intended_cost_usd,
    coalesce(sum(served_usd - intended_usd) FILTER (WHERE has_price), 0) AS extra_cost_usd,
    weighted(sum(w) FILTER (WHERE NOT has_price)) AS unpriced_calls
FROM intended;
