-- name: 22_latency_source
-- returns: scalar macros latency_bucket(x), bucket_value(bucket), sketch_quantile(bucket, upto, n, q), hours_bucket(width, ts) and deployment_family(deployment_type); table macros hourly_latency_between(relation, start_ts, end_ts), hourly_latency_of(relation) and daily_latency_of(relation) (rows of latency_hourly and latency_daily summed from the calls of a table or registered relation), daily_latency_of_hours(relation) (latency_daily's rows from latency_hourly's) and latency_source(start_ts, end_ts, by_day, f_tenants, f_deployments, f_models, f_types, f_services): hour, deployment, deployment_type (the billed type), bucket, duration_calls, ttft_calls, speed_calls (rows of bucket counts in the range that pass the filters; a bucket may repeat)
-- params:
-- Log-bucket sketches of latency (docs/decisions/0009-latency-sketches.md). A value x > 0
-- is counted in bucket ceil(ln(x) / ln(gamma)), gamma = (1 + a) / (1 - a) with a = 0.01:
-- the bucket spans (gamma^(b-1), gamma^b] and bucket_value(b) = 2 gamma^b / (gamma + 1) is
-- within a = 1 % of every value in it. Zero is bucket -32768 (value 0). The same formula
-- fills the table in migration 041.
CREATE OR REPLACE MACRO latency_bucket(x) AS CAST(
    CASE WHEN x > 0
        THEN least(greatest(ceil(ln(x) / ln(1.01 / 0.99)), -32767), 32767)
        ELSE -32768 END AS SMALLINT);

CREATE OR REPLACE MACRO bucket_value(bucket) AS
    CASE WHEN bucket = -32768 THEN 0.0
        ELSE 2 * pow(1.01 / 0.99, bucket) / (1.01 / 0.99 + 1) END;

-- The q-quantile of a group's buckets, interpolated between the order statistics around
-- rank q (n - 1) as quantile_cont interpolates between the values: each is within 1 %, so
-- the answer is. upto = the group's calls up to and including this bucket (in bucket
-- order), n = the group's calls; the k-th value (from 0) lies in the first bucket with
-- upto > k. An aggregate: use it with GROUP BY.
CREATE OR REPLACE MACRO sketch_quantile(bucket, upto, n, q) AS
    bucket_value(min(bucket) FILTER (WHERE n > 0 AND upto > floor(CAST(q AS DOUBLE) * (n - 1))))
    + (CAST(q AS DOUBLE) * (max(n) - 1) - floor(CAST(q AS DOUBLE) * (max(n) - 1)))
    * (bucket_value(min(bucket) FILTER (WHERE n > 0 AND upto > ceil(CAST(q AS DOUBLE) * (n - 1))))
        - bucket_value(
            min(bucket) FILTER (WHERE n > 0 AND upto > floor(CAST(q AS DOUBLE) * (n - 1)))
        ));

-- time_bucket(width, ts) for widths of whole hours, in integer arithmetic from time_bucket's
-- origin (Monday 2000-01-03): time_bucket on TIMESTAMPTZ costs about 0.3 us a row, this 0.01.
CREATE OR REPLACE MACRO hours_bucket(width, ts) AS make_timestamptz(
    946857600000000
    + (epoch_us(ts) - 946857600000000) // CAST(epoch(width) * 1000000 AS BIGINT)
    * CAST(epoch(width) * 1000000 AS BIGINT));

CREATE OR REPLACE MACRO deployment_family(deployment_type) AS
    CASE
        WHEN deployment_type ILIKE '%provisioned%' THEN 'provisioned'
        WHEN deployment_type ILIKE '%batch%' THEN 'batch'
        WHEN deployment_type ILIKE 'global%' THEN 'global'
        WHEN deployment_type ILIKE 'datazone%' THEN 'data zone'
        ELSE 'standard'
    END;

-- One definition of the sketch's sums, for the hours sealed (fill_latency_hours.sql) and
-- for the whole ledger or some days of it (fill_latency_days.sql), of the calls that
-- start in [start_ts, end_ts) (values, so a scan of the ledger reads only those row groups). Output speed is
-- output tokens / (duration - time to first token) in seconds, as deployment_stats.sql has it.
CREATE OR REPLACE MACRO hourly_latency_between(relation, start_ts, end_ts) AS TABLE
WITH measured AS (
    SELECT
        date_trunc('hour', start_time) AS hour,
        deployment,
        coalesce(model, '') AS model,
        coalesce(deployment_type, '') AS deployment_type,
        coalesce(tenant_id, '') AS tenant_id,
        coalesce(apim_subscription, '') AS apim_subscription,
        coalesce(service, '') AS service,
        unnest([
            {'measure': 1, 'x': duration_ms},
            {'measure': 2, 'x': ttft_ms},
            {'measure': 3, 'x': CASE WHEN output_tokens > 0 AND duration_ms > coalesce(ttft_ms, 0)
                THEN output_tokens / ((duration_ms - coalesce(ttft_ms, 0)) / 1000) END}
        ]) AS m
    FROM query_table(relation)
    WHERE start_time >= start_ts AND start_time < end_ts
)
SELECT
    hour, deployment, model, deployment_type, tenant_id, apim_subscription, service,
    latency_bucket(m.x) AS bucket,
    CAST(count(*) FILTER (WHERE m.measure = 1) AS INTEGER) AS duration_calls,
    CAST(count(*) FILTER (WHERE m.measure = 2) AS INTEGER) AS ttft_calls,
    CAST(count(*) FILTER (WHERE m.measure = 3) AS INTEGER) AS speed_calls
FROM measured
WHERE m.x IS NOT NULL AND isfinite(m.x)
GROUP BY ALL;

CREATE OR REPLACE MACRO hourly_latency_of(relation) AS TABLE
SELECT *
FROM hourly_latency_between(relation, TIMESTAMPTZ '-infinity', TIMESTAMPTZ 'infinity');

-- latency_daily's rows summed from rows of latency_hourly in the named table or registered
-- relation.
CREATE OR REPLACE MACRO daily_latency_of_hours(relation) AS TABLE
SELECT
    CAST(hour AS DATE) AS day, deployment, model, deployment_type, tenant_id,
    apim_subscription, service, bucket,
    CAST(sum(duration_calls) AS INTEGER) AS duration_calls,
    CAST(sum(ttft_calls) AS INTEGER) AS ttft_calls,
    CAST(sum(speed_calls) AS INTEGER) AS speed_calls
FROM query_table(relation)
GROUP BY ALL;

-- latency_daily's rows summed from the calls in the named table or registered relation.
CREATE OR REPLACE MACRO daily_latency_of(relation) AS TABLE
SELECT
    CAST(hour AS DATE) AS day, deployment, model, deployment_type, tenant_id,
    apim_subscription, service, bucket,
    CAST(sum(duration_calls) AS INTEGER) AS duration_calls,
    CAST(sum(ttft_calls) AS INTEGER) AS ttft_calls,
    CAST(sum(speed_calls) AS INTEGER) AS speed_calls
FROM hourly_latency_of(relation)
GROUP BY ALL;

-- What the latency reports read over long ranges: with by_day, the whole UTC days inside
-- [start_ts, end_ts) from latency_daily (hour is the day's start) and the whole hours
-- around them from latency_hourly; without, every whole hour from latency_hourly; the
-- partial hours at either edge from the calls (bucketed here); or every hour from the calls
-- while a tenant rule reads end users (not kept in the sketch), as usage_source() does.
-- An open hour (latency_open_hours: its calls are not counted in the sketch yet, decision
-- 0042) is read from its calls too, its sketch rows not at all, and its whole day, if in
-- the range, from latency_hourly's other hours of that day instead of latency_daily.
-- Filters as in filtered_calls(), written out here over the sketch's and the calls' own
-- columns (no nested filtered_calls(): each of its expansions is bound and optimised again),
-- and the tenant filter applied once, to both.
CREATE OR REPLACE MACRO latency_source(
    start_ts, end_ts, by_day, f_tenants, f_deployments, f_models, f_types, f_services
) AS TABLE
-- Not materialized: each branch below reads the sketch itself, and the tenant branch is
-- planned away when no tenant is chosen. Every bound is a value, so scans skip row groups.
WITH sketch AS NOT MATERIALIZED (
    SELECT
        CAST(l.day AS TIMESTAMPTZ) AS hour, l.deployment, l.model, l.deployment_type,
        l.tenant_id, l.apim_subscription, l.service, l.bucket, l.duration_calls,
        l.ttft_calls, l.speed_calls
    FROM latency_daily AS l
    WHERE by_day
        AND l.day >= CAST(date_trunc('day', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 day AS DATE)
        AND l.day < CAST(date_trunc('day', end_ts) AS DATE)
        AND l.day NOT IN (SELECT CAST(o.hour AS DATE) FROM latency_open_hours AS o)
    UNION ALL
    -- The whole hours before the first whole day (every whole hour without by_day) ...
    SELECT l.*
    FROM latency_hourly AS l
    WHERE l.hour >= date_trunc('hour', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 hour
        AND l.hour < CASE
            WHEN by_day AND date_trunc('day', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 day
                < date_trunc('day', end_ts)
            THEN date_trunc('day', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 day
            ELSE date_trunc('hour', end_ts) END
        AND l.hour NOT IN (SELECT o.hour FROM latency_open_hours AS o)
    UNION ALL
    -- ... and after the last.
    SELECT l.*
    FROM latency_hourly AS l
    WHERE by_day
        AND date_trunc('day', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 day
            < date_trunc('day', end_ts)
        AND l.hour >= date_trunc('day', end_ts)
        AND l.hour < date_trunc('hour', end_ts)
        AND l.hour NOT IN (SELECT o.hour FROM latency_open_hours AS o)
    UNION ALL
    -- ... and the hours of the whole days that have an open hour, that one aside (the join
    -- bounds the scan to those days).
    SELECT l.*
    FROM latency_hourly AS l
    JOIN (
        SELECT DISTINCT date_trunc('day', o.hour) AS day_start FROM latency_open_hours AS o
    ) AS d ON l.hour >= d.day_start AND l.hour < d.day_start + INTERVAL 1 day
    WHERE by_day
        AND l.hour >= date_trunc('day', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 day
        AND l.hour < date_trunc('day', end_ts)
        AND l.hour NOT IN (SELECT o.hour FROM latency_open_hours AS o)
),
-- The calls read here: those of the partial hours at either edge and of the open whole
-- hours, or all of the range while an end-user rule is in use. Each branch names its
-- bounds as values, so the scan reads only their row groups (an open hour's, by the join's
-- filter on start_time).
edges AS NOT MATERIALIZED (
    SELECT c.start_time, c.deployment, c.model, c.deployment_type, c.tenant_id,
        c.apim_subscription, c.end_user, c.service, c.duration_ms, c.ttft_ms, c.output_tokens
    FROM calls AS c, tenant_rule_kinds AS used
    WHERE NOT used.end_user
        AND c.start_time >= start_ts
        AND c.start_time
            < least(date_trunc('hour', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 hour, end_ts)
    UNION ALL
    SELECT c.start_time, c.deployment, c.model, c.deployment_type, c.tenant_id,
        c.apim_subscription, c.end_user, c.service, c.duration_ms, c.ttft_ms, c.output_tokens
    FROM calls AS c, tenant_rule_kinds AS used
    WHERE NOT used.end_user
        AND c.start_time >= greatest(
            date_trunc('hour', end_ts),
            least(date_trunc('hour', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 hour, end_ts)
        )
        AND c.start_time < end_ts
    UNION ALL
    SELECT c.start_time, c.deployment, c.model, c.deployment_type, c.tenant_id,
        c.apim_subscription, c.end_user, c.service, c.duration_ms, c.ttft_ms, c.output_tokens
    FROM calls AS c
    JOIN (SELECT DISTINCT hour FROM latency_open_hours) AS o
        ON c.start_time >= o.hour AND c.start_time < o.hour + INTERVAL 1 hour
    CROSS JOIN tenant_rule_kinds AS used
    WHERE NOT used.end_user
        AND c.start_time >= date_trunc('hour', start_ts - INTERVAL 1 microsecond) + INTERVAL 1 hour
        AND c.start_time < date_trunc('hour', end_ts)
    UNION ALL
    SELECT c.start_time, c.deployment, c.model, c.deployment_type, c.tenant_id,
        c.apim_subscription, c.end_user, c.service, c.duration_ms, c.ttft_ms, c.output_tokens
    FROM calls AS c, tenant_rule_kinds AS used
    WHERE used.end_user AND c.start_time >= start_ts AND c.start_time < end_ts
),
measured AS (
    SELECT
        date_trunc('hour', c.start_time) AS hour,
        c.deployment,
        coalesce(c.deployment_type, d.deployment_type, 'GlobalStandard') AS deployment_type,
        tenant_key(used.attribute, c.tenant_id) AS tenant_attr,
        tenant_key(used.apim_subscription, c.apim_subscription) AS apim_key,
        tenant_key(used.end_user, c.end_user) AS end_user_key,
        tenant_key(used.service, c.service) AS service_key,
        unnest([
            {'measure': 1, 'x': c.duration_ms},
            {'measure': 2, 'x': c.ttft_ms},
            {'measure': 3, 'x': CASE WHEN c.output_tokens > 0 AND c.duration_ms > coalesce(c.ttft_ms, 0)
                THEN c.output_tokens / ((c.duration_ms - coalesce(c.ttft_ms, 0)) / 1000) END}
        ]) AS m
    FROM edges AS c
    LEFT JOIN deployments AS d ON d.deployment = c.deployment
    CROSS JOIN tenant_rule_kinds AS used
    WHERE keeps(f_deployments, c.deployment)
        AND keeps(f_models, coalesce(c.model, d.model, ''))
        AND keeps(f_types, coalesce(c.deployment_type, d.deployment_type, 'GlobalStandard'))
        AND keeps(f_services, coalesce(c.service, ''))
),
-- The sketch's rows and the edges' calls as bucket counts, each with the keys tenant rules
-- read.
keyed AS NOT MATERIALIZED (
    SELECT
        l.hour,
        l.deployment,
        coalesce(nullif(l.deployment_type, ''), d.deployment_type, 'GlobalStandard')
            AS deployment_type,
        tenant_key(used.attribute, l.tenant_id) AS tenant_attr,
        tenant_key(used.apim_subscription, l.apim_subscription) AS apim_key,
        '' AS end_user_key,
        tenant_key(used.service, l.service) AS service_key,
        l.bucket,
        l.duration_calls,
        l.ttft_calls,
        l.speed_calls
    FROM sketch AS l
    LEFT JOIN deployments AS d ON d.deployment = l.deployment
    CROSS JOIN tenant_rule_kinds AS used
    WHERE NOT used.end_user
        AND keeps(f_deployments, l.deployment)
        AND keeps(f_models, coalesce(nullif(l.model, ''), d.model, ''))
        AND keeps(f_types, coalesce(nullif(l.deployment_type, ''), d.deployment_type, 'GlobalStandard'))
        AND keeps(f_services, l.service)
    UNION ALL
    SELECT
        hour,
        deployment,
        deployment_type,
        tenant_attr,
        apim_key,
        end_user_key,
        service_key,
        latency_bucket(m.x) AS bucket,
        CAST(m.measure = 1 AS INTEGER) AS duration_calls,
        CAST(m.measure = 2 AS INTEGER) AS ttft_calls,
        CAST(m.measure = 3 AS INTEGER) AS speed_calls
    FROM measured
    WHERE m.x IS NOT NULL AND isfinite(m.x)
)
SELECT hour, deployment, deployment_type, bucket, duration_calls, ttft_calls, speed_calls
FROM keyed
WHERE len(CAST(f_tenants AS VARCHAR[])) = 0
UNION ALL
SELECT k.hour, k.deployment, k.deployment_type, k.bucket, k.duration_calls, k.ttft_calls,
    k.speed_calls
FROM keyed AS k
SEMI JOIN (
    SELECT *
    FROM tenant_keys_between(start_ts, end_ts)
    WHERE list_contains(CAST(f_tenants AS VARCHAR[]), tenant_id)
) AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
WHERE len(CAST(f_tenants AS VARCHAR[])) > 0;
