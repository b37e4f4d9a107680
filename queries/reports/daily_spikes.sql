-- name: daily_spikes
-- returns: scope_kind, scope, day, metric, value, baseline_median, baseline_mad, baseline_days, score, spike (one row per tenant or deployment x day in [start, end) x metric spend_usd|tokens; only spikes when $only_spikes)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $min_score DOUBLE, $only_spikes BOOLEAN
-- A day's pay-as-you-go spend and tokens (input + output) per tenant and per deployment,
-- of the calls of $tenants and $deployments (empty: all), against a robust trailing
-- baseline that knows the week: the same weekday of the 4 weeks before (28 days), from the
-- scope's first day with calls on (a new scope is not a spike against the zeros before it).
-- score = (value - median) / max(1.4826 x MAD, 20 % of the median, a floor of $0.01 or
-- 1,000 tokens); a spike is a day with score >= $min_score and at least 3 baseline days.
-- Provisioned (PTU) hours cost the same every hour, so they are not part of the spend.
WITH daily AS (
    SELECT t.tenant_id, k.deployment, k.day,
        sum(k.payg_cost_usd) AS spend_usd,
        sum(k.input_tokens + k.output_tokens) AS tokens
    FROM costed_usage($start - INTERVAL 28 DAY, $end, false) AS k
    JOIN call_tenant_keys AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    WHERE (len(CAST($tenants AS VARCHAR[])) = 0
            OR list_contains(CAST($tenants AS VARCHAR[]), t.tenant_id))
        AND (len(CAST($deployments AS VARCHAR[])) = 0
            OR list_contains(CAST($deployments AS VARCHAR[]), k.deployment))
    GROUP BY ALL
),
by_scope AS (
    SELECT 'tenant' AS scope_kind, tenant_id AS scope, day,
        CAST(coalesce(sum(spend_usd), 0) AS DOUBLE) AS spend_usd,
        CAST(sum(tokens) AS DOUBLE) AS tokens
    FROM daily GROUP BY ALL
    UNION ALL
    SELECT 'deployment' AS scope_kind, deployment AS scope, day,
        CAST(coalesce(sum(spend_usd), 0) AS DOUBLE) AS spend_usd,
        CAST(sum(tokens) AS DOUBLE) AS tokens
    FROM daily GROUP BY ALL
),
measured AS (
    UNPIVOT by_scope ON spend_usd, tokens INTO NAME metric VALUE value
),
firsts AS (
    SELECT scope_kind, scope, metric, min(day) AS first_day FROM measured GROUP BY ALL
),
calendar AS (
    SELECT CAST(unnest(generate_series(
        CAST($start - INTERVAL 28 DAY AS DATE), CAST($end - INTERVAL 1 MICROSECOND AS DATE),
        INTERVAL 1 DAY
    )) AS DATE) AS day
),
dense AS (
    SELECT f.scope_kind, f.scope, f.metric, c.day, coalesce(m.value, 0) AS value
    FROM firsts AS f
    JOIN calendar AS c ON c.day >= f.first_day
    LEFT JOIN measured AS m USING (scope_kind, scope, metric, day)
),
windowed AS (
    SELECT
        *,
        list(value) OVER (
            PARTITION BY scope_kind, scope, metric, dayofweek(day)
            ORDER BY day ROWS BETWEEN 4 PRECEDING AND 1 PRECEDING
        ) AS past
    FROM dense
),
centred AS (
    SELECT *, list_median(past) AS baseline_median
    FROM windowed
    WHERE day >= CAST($start AS DATE) AND day < $end
),
scored AS (
    SELECT
        *,
        list_median(list_transform(past, lambda x: abs(x - baseline_median))) AS baseline_mad,
        len(past) AS baseline_days
    FROM centred
),
rated AS (
    SELECT
        *,
        (value - baseline_median) / greatest(
            1.4826 * baseline_mad, 0.2 * baseline_median,
            CASE metric WHEN 'spend_usd' THEN 0.01 ELSE 1000 END
        ) AS score
    FROM scored
)
SELECT
    scope_kind, scope, day, metric, value, baseline_median, baseline_mad, baseline_days,
    round(score, 2) AS score,
    baseline_days >= 3 AND score >= $min_score AS spike
FROM rated
WHERE NOT $only_spikes OR (baseline_days >= 3 AND score >= $min_score)
ORDER BY day DESC, scope_kind DESC, scope, metric;
