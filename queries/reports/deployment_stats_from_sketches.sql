-- name: deployment_stats_from_sketches
-- returns: deployment, deployment_type, family, calls, p50_ms, p95_ms, p99_ms, ttft_p50_ms, ttft_p95_ms, output_tokens_per_s, throttled_rate, error_rate, peak_tpm, tpm_quota, peak_quota_pct, unanswered_from (the earliest busiest hour busiest_minutes did not answer, the same in every row: the rows are exact when it is NULL, not before $calls_from, or $calls_from is not after $start) (one row per deployment, busiest first)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $summarised BOOLEAN, $calls_from TIMESTAMPTZ
-- deployment_stats.sql over a long range without reading every call: percentiles (and the
-- median output speed) from the latency sketch, within 1 % of the exact ones; calls,
-- rates and each deployment's busiest hour from the hourly usage summary (usage_source(),
-- without Log Analytics rollups, which are not calls); the busiest minute of that hour from
-- busiest_minutes (with $summarised: a scope that chooses deployments only) where a kept
-- row answers it (a whole hour of the range after calls_kept_from(), summed at the
-- requests and tokens the usage summary has now), else from the calls of that hour only,
-- read from $calls_from on ($start without $summarised; the caller reads again from
-- busiest_hours_to_keep.sql's calls_from when unanswered_from is earlier). The busiest hour
-- is among those retention left calls of (after calls_kept_from()); a deployment with none
-- in the range is listed without a peak (NULL).
WITH usage AS NOT MATERIALIZED (
    SELECT
        u.hour,
        u.deployment,
        coalesce(u.deployment_type, d.deployment_type, 'GlobalStandard') AS deployment_type,
        u.tenant_attr,
        u.apim_key,
        u.end_user_key,
        u.service_key,
        u.requests,
        u.errors,
        u.throttled,
        u.input_tokens + u.output_tokens AS tokens
    FROM usage_source($start, $end, false) AS u
    LEFT JOIN deployments AS d ON d.deployment = u.deployment
    WHERE (u.call_id IS NULL OR NOT starts_with(u.call_id, 'rollup:'))
        AND keeps($deployments, u.deployment)
        AND keeps($models, coalesce(u.model, d.model, ''))
        AND keeps($types, coalesce(u.deployment_type, d.deployment_type, 'GlobalStandard'))
        AND keeps($services, u.service)
),
scoped AS (
    SELECT * FROM usage WHERE len($tenants) = 0
    UNION ALL
    SELECT u.*
    FROM usage AS u
    SEMI JOIN (
        SELECT * FROM tenant_keys_between($start, $end) WHERE list_contains($tenants, tenant_id)
    ) AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    WHERE len($tenants) > 0
),
per_hour AS (
    SELECT
        deployment,
        hour,
        -- A deployment has one type; calls that say none were given the registry's.
        max(deployment_type) AS deployment_type,
        sum(requests) AS requests,
        sum(errors) AS errors,
        sum(throttled) AS throttled,
        sum(tokens) AS tokens
    FROM scoped
    GROUP BY ALL
),
counts AS (
    SELECT
        deployment,
        max(deployment_type) AS deployment_type,
        CAST(sum(requests) AS BIGINT) AS calls,
        sum(throttled) / sum(requests) AS throttled_rate,
        sum(errors) / sum(requests) AS error_rate
    FROM per_hour
    GROUP BY deployment
),
busiest_hour AS (
    -- Among the hours retention left calls of: an older one has no minutes left to read.
    SELECT deployment, arg_max(hour, {'tokens': tokens, 'hour': hour}) AS hour
    FROM per_hour
    WHERE hour + INTERVAL 1 hour > calls_kept_from()
    GROUP BY ALL
),
kept AS (
    SELECT b.deployment, k.peak_tokens
    FROM busiest_hour AS b
    JOIN per_hour AS p USING (deployment, hour)
    JOIN busiest_minutes AS k USING (deployment, hour)
    WHERE $summarised
        AND b.hour >= $start AND b.hour + INTERVAL 1 hour <= $end
        AND b.hour >= calls_kept_from()
        AND k.requests = p.requests AND k.tokens IS NOT DISTINCT FROM p.tokens
),
from_calls AS (
    SELECT * FROM busiest_hour ANTI JOIN kept USING (deployment)
),
per_minute AS (
    -- The calls of each deployment's busiest hour, with the filters of filtered_calls()
    -- written out after the hour tests, so that only those calls meet the registry and the
    -- tenant keys. An integer test first (a join on the hour and deployment probes every
    -- call of the range, ten times slower), then the deployment's own busiest hour.
    SELECT
        c.deployment,
        epoch_us(c.start_time) // 60000000 AS minute,
        sum((coalesce(c.input_tokens, 0) + coalesce(c.output_tokens, 0))
            * call_weight(c.sample_weight)) AS tokens
    FROM (
        SELECT
            c.start_time, c.deployment, c.model, c.deployment_type, c.service,
            c.input_tokens, c.output_tokens, c.sample_weight,
            tenant_key(used.attribute, c.tenant_id) AS tenant_attr,
            tenant_key(used.apim_subscription, c.apim_subscription) AS apim_key,
            tenant_key(used.end_user, c.end_user) AS end_user_key,
            tenant_key(used.service, c.service) AS service_key
        FROM calls AS c, tenant_rule_kinds AS used
        WHERE c.start_time >= greatest($start, $calls_from) AND c.start_time < $end
            AND epoch_us(c.start_time) // 3600000000
                IN (SELECT epoch_us(hour) // 3600000000 FROM from_calls)
            AND (c.deployment, date_trunc('hour', c.start_time))
                IN (SELECT (deployment, hour) FROM from_calls)
    ) AS c
    LEFT JOIN deployments AS d ON d.deployment = c.deployment
    WHERE keeps($deployments, c.deployment)
        AND keeps($models, coalesce(c.model, d.model, ''))
        AND keeps($types, coalesce(c.deployment_type, d.deployment_type, 'GlobalStandard'))
        AND keeps($services, coalesce(c.service, ''))
        AND (
            len($tenants) = 0
            OR (c.tenant_attr, c.apim_key, c.end_user_key, c.deployment, c.service_key) IN (
                SELECT (tenant_attr, apim_key, end_user_key, deployment, service_key)
                FROM tenant_keys_between($start, $end)
                WHERE list_contains($tenants, tenant_id)
            )
        )
    GROUP BY ALL
),
peaks AS (
    SELECT deployment, max(tokens) AS peak_tpm FROM per_minute GROUP BY deployment
    UNION ALL
    SELECT deployment, peak_tokens FROM kept
),
buckets AS (
    SELECT
        deployment,
        bucket,
        CAST(sum(duration_calls) AS BIGINT) AS durations,
        CAST(sum(ttft_calls) AS BIGINT) AS ttfts,
        CAST(sum(speed_calls) AS BIGINT) AS speeds
    FROM latency_source($start, $end, true, $tenants, $deployments, $models, $types, $services)
    GROUP BY ALL
),
running AS (
    SELECT
        deployment,
        bucket,
        CAST(sum(durations) OVER upto AS BIGINT) AS durations_upto,
        CAST(sum(durations) OVER whole AS BIGINT) AS durations_n,
        CAST(sum(ttfts) OVER upto AS BIGINT) AS ttfts_upto,
        CAST(sum(ttfts) OVER whole AS BIGINT) AS ttfts_n,
        CAST(sum(speeds) OVER upto AS BIGINT) AS speeds_upto,
        CAST(sum(speeds) OVER whole AS BIGINT) AS speeds_n
    FROM buckets
    WINDOW whole AS (PARTITION BY deployment),
        upto AS (PARTITION BY deployment ORDER BY bucket ROWS UNBOUNDED PRECEDING)
),
percentiles AS (
    SELECT
        deployment,
        sketch_quantile(bucket, durations_upto, durations_n, 0.5) AS p50_ms,
        sketch_quantile(bucket, durations_upto, durations_n, 0.95) AS p95_ms,
        sketch_quantile(bucket, durations_upto, durations_n, 0.99) AS p99_ms,
        sketch_quantile(bucket, ttfts_upto, ttfts_n, 0.5) AS ttft_p50_ms,
        sketch_quantile(bucket, ttfts_upto, ttfts_n, 0.95) AS ttft_p95_ms,
        sketch_quantile(bucket, speeds_upto, speeds_n, 0.5) AS output_tokens_per_s
    FROM running
    GROUP BY deployment
)
SELECT
    s.deployment,
    s.deployment_type,
    deployment_family(s.deployment_type) AS family,
    s.calls,
    q.p50_ms,
    q.p95_ms,
    q.p99_ms,
    q.ttft_p50_ms,
    q.ttft_p95_ms,
    q.output_tokens_per_s,
    s.throttled_rate,
    s.error_rate,
    p.peak_tpm,
    d.tpm_quota,
    p.peak_tpm / d.tpm_quota AS peak_quota_pct,
    (SELECT min(hour) FROM from_calls) AS unanswered_from
FROM counts AS s
LEFT JOIN peaks AS p USING (deployment)
LEFT JOIN percentiles AS q USING (deployment)
LEFT JOIN deployments AS d USING (deployment)
ORDER BY s.calls DESC, s.deployment;
