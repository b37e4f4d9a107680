-- name: 04_call_cost_rules
-- returns: table macro costed_usage(start_ts, end_ts, per_call, hours := 1): call_id (a call's, or rollup:... for an hourly rollup group; per call only), start_time (per call only), hour, day, requests, errors, throttled, unknown_deployment, synthetic, unknown_tokens, deployment, model, tenant keys, service, filter_action, incident_end_user, token sums, base_model, billed_type, type_assumed, billing, priced, unpriced_reason, input, cached input and output cost in USD, payg_cost_usd, then service_tier, context_tier, cache_write_tokens, cache_write_cost_usd, price_row (the price book row used), price_meters (its Azure meters) (one row per row of usage_source(): per call, or per hour's group of calls with the same price and tenant keys)
-- params:
-- The price book version in force is the newest loaded. A model is matched by its base name
-- (the version date suffix removed: gpt-4o-2024-08-06 -> gpt-4o). A row for the call's own
-- deployment type wins; otherwise the GlobalStandard price times the type's multiplier
-- (e.g. GlobalBatch 0.5). A row for the call's service tier (as the response reported it:
-- default, priority, flex) is needed, except that Flex without its own row is half the
-- default price (Azure: 50 % off Standard); a Priority call without a priority row is
-- unpriced, not billed at Standard. A row for the call's context tier (long when the prompt
-- is above its model's threshold, 00_call_tiers.sql) wins over one for any prompt length.
-- Cache writes are part of input_tokens and bill at cache_write_per_1m (cache_write_cost_usd),
-- or as input (in input_cost_usd) where the model has no such price. Model and deployment type come from the call, else from the
-- deployments registry; with neither, a call is billed as GlobalStandard, Azure's default,
-- and marked type_assumed. Cached input bills at its own rate; reasoning
-- tokens are part of output_tokens and bill as output. Provisioned (ptu) deployments have no
-- per-token cost here: their hours are allocated separately. A call with tokens and no price
-- is never $0 silently: priced is false and unpriced_reason says why. Nor is a call whose
-- tokens are unknown (tokens_unknown(), counted in unknown_tokens): alone in its group it is
-- unpriced, 'tokens unknown'; in a group with priced calls, unknown_tokens still counts it.
-- Cost is linear in tokens, so reports price the hourly groups of usage_source()
-- (per_call = false) and get the same totals as pricing each call, from far fewer rows.
CREATE OR REPLACE MACRO costed_usage(start_ts, end_ts, per_call, hours := 1) AS TABLE
WITH in_force AS (
    SELECT p.*
    FROM price_book AS p
    WHERE p.version = (
        SELECT version FROM price_book_versions ORDER BY loaded_at DESC, version DESC LIMIT 1
    )
),
typed AS (
    -- One row per row of usage_source(): a call, or an hour's group of calls.
    SELECT
        CASE WHEN per_call THEN c.call_id END AS call_id,
        CASE WHEN per_call THEN c.start_time END AS start_time,
        c.hour,
        c.day,
        c.deployment,
        coalesce(c.model, d.model, '') AS model,
        c.service_tier,
        c.context_tier,
        -- Calls say "Sweden Central" (x-ms-region); the Retail Prices API "swedencentral".
        lower(replace(coalesce(c.region, ''), ' ', '')) AS region,
        coalesce(c.deployment_type, d.deployment_type, 'GlobalStandard') AS billed_type,
        c.deployment_type IS NULL AND d.deployment_type IS NULL AS type_assumed,
        -- The columns tenant rules read (01_call_keys.sql), to join call_tenant_keys.
        c.tenant_attr,
        c.apim_key,
        c.end_user_key,
        c.service_key,
        -- Kept apart so the dashboard can filter by service, and knows the cost of
        -- content-filter incidents, per end user too (incidents are rare: few groups).
        c.service,
        c.filter_action,
        c.incident_end_user,
        c.requests,
        c.errors,
        c.throttled,
        c.unknown_deployment,
        c.synthetic,
        c.unknown_tokens,
        c.input_tokens,
        c.cached_input_tokens,
        c.output_tokens,
        c.reasoning_tokens,
        c.cache_write_tokens
    FROM usage_source(start_ts, end_ts, per_call, hours := hours) AS c
    -- The deployments registry fills in what the call does not say.
    LEFT JOIN deployments AS d ON d.deployment = c.deployment
),
-- Prices are dated by day: resolve each distinct (model, type, region, day) once, then
-- join the calls to it, rather than ranking candidate prices for every call.
price_keys AS (
    SELECT
        model, billed_type, region, day, service_tier, context_tier,
        base_model(model) AS base_model
    FROM (SELECT DISTINCT model, billed_type, region, day, service_tier, context_tier FROM typed)
),
resolved AS (
    SELECT
        k.*,
        d.billing,
        p.deployment_type AS price_type,
        p.input_per_1m,
        coalesce(p.cached_input_per_1m, p.input_per_1m) AS cached_input_per_1m,
        p.output_per_1m,
        p.cache_write_per_1m,
        CASE WHEN p.deployment_type = k.billed_type THEN 1 ELSE d.multiplier END
            * CASE WHEN p.service_tier = k.service_tier THEN 1 ELSE 0.5 END AS factor,
        p.version || ': ' || p.model || ' ' || p.deployment_type
            || coalesce(' ' || p.region, '') || ' ' || p.service_tier
            || coalesce(' ' || p.context_tier || ' context', '')
            || ' from ' || strftime(p.effective_from, '%Y-%m-%d') AS price_row,
        nullif(p.meters, '') AS price_meters
    FROM price_keys AS k
    LEFT JOIN deployment_types AS d ON d.deployment_type = k.billed_type
    LEFT JOIN in_force AS p
        ON p.model = k.base_model
        AND p.deployment_type IN (k.billed_type, 'GlobalStandard')
        AND (p.region IS NULL OR p.region = k.region)
        AND (p.service_tier = k.service_tier
            OR (k.service_tier = 'flex' AND p.service_tier = 'default'))
        AND (p.context_tier IS NULL OR p.context_tier = k.context_tier)
        AND k.day >= p.effective_from
        AND (p.effective_to IS NULL OR k.day < p.effective_to)
    QUALIFY row_number() OVER (
        PARTITION BY k.model, k.billed_type, k.region, k.day, k.service_tier, k.context_tier
        ORDER BY (p.deployment_type = k.billed_type) DESC NULLS LAST,
                 (p.service_tier = k.service_tier) DESC NULLS LAST,
                 (p.context_tier IS NOT NULL) DESC NULLS LAST,
                 (p.region IS NOT NULL) DESC NULLS LAST
    ) = 1
),
matched AS (
    SELECT t.*, r.base_model, r.billing, r.price_type, r.input_per_1m, r.cached_input_per_1m,
           r.output_per_1m, r.cache_write_per_1m, r.factor, r.price_row, r.price_meters
    FROM typed AS t
    JOIN resolved AS r USING (model, billed_type, region, day, service_tier, context_tier)
),
costed AS (
    SELECT
        m.*,
        m.input_tokens + m.output_tokens > 0 AS billable,
        CASE
            WHEN m.input_tokens + m.output_tokens = 0 AND m.unknown_tokens > 0 THEN
                'tokens unknown: the source gave no token counts'
            WHEN m.input_tokens + m.output_tokens = 0 THEN NULL
            WHEN m.billing IS NULL THEN 'unknown deployment type ' || m.billed_type
            WHEN m.billing = 'ptu' THEN NULL
            WHEN m.model = '' THEN 'the call does not say which model served it'
            WHEN m.input_per_1m IS NULL AND m.service_tier <> 'default' THEN
                'no ' || m.service_tier || ' price for ' || m.base_model || ' ('
                || m.billed_type || ') on ' || strftime(m.day, '%Y-%m-%d')
            WHEN m.input_per_1m IS NULL THEN
                'no price for ' || m.base_model || ' (' || m.billed_type || ') on '
                || strftime(m.day, '%Y-%m-%d')
            WHEN m.output_tokens > 0 AND m.output_per_1m IS NULL THEN
                'no output price for ' || m.base_model
        END AS unpriced_reason
    FROM matched AS m
)
SELECT
    * EXCLUDE (service_tier, context_tier, cache_write_tokens, cache_write_cost_usd, price_row,
               price_meters),
    input_cost_usd + cached_input_cost_usd + output_cost_usd + cache_write_cost_usd
        AS payg_cost_usd,
    service_tier,
    context_tier,
    cache_write_tokens,
    cache_write_cost_usd,
    price_row,
    price_meters
FROM (
    SELECT
        call_id,
        start_time,
        hour,
        day,
        requests,
        errors,
        throttled,
        unknown_deployment,
        synthetic,
        unknown_tokens,
        deployment,
        nullif(model, '') AS model,
        tenant_attr,
        apim_key,
        end_user_key,
        service_key,
        service,
        filter_action,
        incident_end_user,
        input_tokens,
        cached_input_tokens,
        output_tokens,
        reasoning_tokens,
        nullif(base_model, '') AS base_model,
        billed_type,
        type_assumed,
        coalesce(billing, 'tokens') AS billing,
        unpriced_reason IS NULL AS priced,
        unpriced_reason,
        CASE WHEN unpriced_reason IS NULL AND billing = 'tokens' AND billable THEN
            CAST((input_tokens - cached_input_tokens
                  - CASE WHEN cache_write_per_1m IS NULL THEN 0 ELSE cache_write_tokens END)
                 * input_per_1m * factor / 1000000 AS DECIMAL(18, 9))
        ELSE 0 END AS input_cost_usd,
        CASE WHEN unpriced_reason IS NULL AND billing = 'tokens' AND billable THEN
            CAST(cached_input_tokens * cached_input_per_1m * factor / 1000000 AS DECIMAL(18, 9))
        ELSE 0 END AS cached_input_cost_usd,
        CASE WHEN unpriced_reason IS NULL AND billing = 'tokens' AND billable THEN
            CAST(output_tokens * coalesce(output_per_1m, 0) * factor / 1000000
                 AS DECIMAL(18, 9))
        ELSE 0 END AS output_cost_usd,
        service_tier,
        context_tier,
        cache_write_tokens,
        CASE WHEN unpriced_reason IS NULL AND billing = 'tokens' AND billable THEN
            CAST(cache_write_tokens * coalesce(cache_write_per_1m, 0) * factor / 1000000
                 AS DECIMAL(18, 9))
        ELSE 0 END AS cache_write_cost_usd,
        CASE WHEN unpriced_reason IS NULL AND billing = 'tokens' AND billable
            THEN price_row END AS price_row,
        CASE WHEN unpriced_reason IS NULL AND billing = 'tokens' AND billable
            THEN price_meters END AS price_meters
    FROM costed
);
