-- name: repriced_usage
-- returns: deployment, base_model, billed_type, billing, target_model, target_type, requests, throttled, input_tokens, cached_input_tokens, output_tokens, payg_cost_usd, repriced_usd, unpriced_tokens, input_per_1m, cached_input_per_1m, first_hour, ptu, ptu_hourly_usd, reserved_monthly_usd (the registry's; one row per deployment with calls of $tenants and $deployments in [$start, $end))
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $target_model VARCHAR, $target_type VARCHAR
-- The tokens of a scope priced again on another model and deployment type: the savings
-- advisor's what-if, PTU break-even and caching estimates all price tokens here, so the
-- re-pricing rules are in this one file. payg_cost_usd is what the tokens cost as billed
-- (0 on provisioned deployments, whose hours are billed instead); repriced_usd what they
-- would cost on $target_model (NULL: each call's own base model) as $target_type (NULL:
-- each call's own type, a provisioned type priced as the pay-as-you-go type of its family:
-- GlobalProvisionedManaged as GlobalStandard, DataZoneProvisionedManaged as
-- DataZoneStandard, ProvisionedManaged as Standard). A price row for the target type wins;
-- else the GlobalStandard price times the type's multiplier (deployment_types); 'Flex' is
-- the GlobalStandard price x 0.5 (flex processing, 50 % off Standard). Tokens with no
-- target price count in unpriced_tokens and not in repriced_usd. input_per_1m and
-- cached_input_per_1m: the target's rates (factor applied) of the deployment's most used
-- model, for the caching estimate.
WITH usage AS (
    SELECT
        k.deployment, k.base_model, k.billed_type, k.billing, k.day,
        lower(replace(coalesce(c.region, ''), ' ', '')) AS region,
        c.ptu, c.ptu_hourly_usd, c.reserved_monthly_usd,
        sum(k.requests) AS requests,
        sum(k.throttled) AS throttled,
        sum(k.input_tokens) AS input_tokens,
        sum(k.cached_input_tokens) AS cached_input_tokens,
        sum(k.output_tokens) AS output_tokens,
        sum(k.payg_cost_usd) AS payg_cost_usd,
        min(k.hour) AS first_hour
    FROM costed_usage($start, $end, false) AS k
    JOIN call_tenant_keys AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    -- the registry (deployments.toml): its region for regional price rows, its PTUs
    LEFT JOIN deployments AS c ON c.deployment = k.deployment
    WHERE (len(CAST($tenants AS VARCHAR[])) = 0
            OR list_contains(CAST($tenants AS VARCHAR[]), t.tenant_id))
        AND (len(CAST($deployments AS VARCHAR[])) = 0
            OR list_contains(CAST($deployments AS VARCHAR[]), k.deployment))
    GROUP BY ALL
),
targeted AS (
    SELECT
        u.*,
        coalesce(CAST($target_model AS VARCHAR), u.base_model) AS target_model,
        coalesce(CAST($target_type AS VARCHAR), CASE u.billed_type
            WHEN 'GlobalProvisionedManaged' THEN 'GlobalStandard'
            WHEN 'DataZoneProvisionedManaged' THEN 'DataZoneStandard'
            WHEN 'ProvisionedManaged' THEN 'Standard'
            ELSE u.billed_type END) AS target_type
    FROM usage AS u
),
in_force AS (
    SELECT p.*
    FROM price_book AS p
    WHERE p.version = (
        SELECT version FROM price_book_versions ORDER BY loaded_at DESC, version DESC LIMIT 1
    )
        -- the standard tier at any prompt length: the what-if prices the tokens as a
        -- default-tier call (Flex is priced from it below), never at Priority or long-context
        -- rates
        AND p.service_tier = 'default' AND p.context_tier IS NULL
),
rated AS (
    SELECT
        t.*,
        CASE
            WHEN p.deployment_type = t.target_type THEN 1
            WHEN t.target_type = 'Flex' THEN 0.5
            ELSE d.multiplier
        END AS factor,
        p.input_per_1m,
        coalesce(p.cached_input_per_1m, p.input_per_1m) AS cached_rate,
        coalesce(p.output_per_1m, 0) AS output_rate
    FROM targeted AS t
    LEFT JOIN deployment_types AS d ON d.deployment_type = t.target_type
    LEFT JOIN in_force AS p
        ON p.model = t.target_model
        AND p.deployment_type IN (t.target_type, 'GlobalStandard')
        AND (p.region IS NULL OR p.region = t.region)
        AND t.day >= p.effective_from
        AND (p.effective_to IS NULL OR t.day < p.effective_to)
    QUALIFY row_number() OVER (
        PARTITION BY t.deployment, t.base_model, t.billed_type, t.region, t.day
        ORDER BY (p.deployment_type = t.target_type) DESC NULLS LAST,
                 (p.region IS NOT NULL) DESC NULLS LAST
    ) = 1
),
costed AS (
    SELECT
        *,
        CASE WHEN factor IS NOT NULL AND input_per_1m IS NOT NULL
            AND (target_type IN (SELECT deployment_type FROM deployment_types WHERE billing = 'tokens')
                 OR target_type = 'Flex') THEN
            CAST(((input_tokens - cached_input_tokens) * input_per_1m
                  + cached_input_tokens * cached_rate
                  + output_tokens * output_rate) * factor / 1000000 AS DOUBLE)
        END AS repriced_usd
    FROM rated
)
SELECT
    deployment,
    arg_max(base_model, input_tokens + output_tokens) AS base_model,
    arg_max(billed_type, input_tokens + output_tokens) AS billed_type,
    arg_max(billing, input_tokens + output_tokens) AS billing,
    arg_max(target_model, input_tokens + output_tokens) AS target_model,
    arg_max(target_type, input_tokens + output_tokens) AS target_type,
    CAST(sum(requests) AS BIGINT) AS requests,
    CAST(sum(throttled) AS BIGINT) AS throttled,
    CAST(sum(input_tokens) AS BIGINT) AS input_tokens,
    CAST(sum(cached_input_tokens) AS BIGINT) AS cached_input_tokens,
    CAST(sum(output_tokens) AS BIGINT) AS output_tokens,
    CAST(coalesce(sum(payg_cost_usd), 0) AS DOUBLE) AS payg_cost_usd,
    CAST(coalesce(sum(repriced_usd), 0) AS DOUBLE) AS repriced_usd,
    CAST(coalesce(sum(input_tokens + output_tokens) FILTER (WHERE repriced_usd IS NULL), 0)
        AS BIGINT) AS unpriced_tokens,
    CAST(arg_max(input_per_1m * factor, input_tokens + output_tokens)
        FILTER (WHERE repriced_usd IS NOT NULL) AS DOUBLE) AS input_per_1m,
    CAST(arg_max(cached_rate * factor, input_tokens + output_tokens)
        FILTER (WHERE repriced_usd IS NOT NULL) AS DOUBLE) AS cached_input_per_1m,
    min(first_hour) AS first_hour,
    max(ptu) AS ptu,
    CAST(max(ptu_hourly_usd) AS DOUBLE) AS ptu_hourly_usd,
    CAST(max(reserved_monthly_usd) AS DOUBLE) AS reserved_monthly_usd
FROM costed
GROUP BY deployment
ORDER BY deployment;
