-- name: 041_latency_sketch
-- returns: nothing (migration): latency_hourly, per UTC hour and the keys the latency reports filter on, the calls in each log bucket of duration, time to first token and output speed, and latency_daily, the same per UTC day; filled from the calls already stored
-- params:
-- Percentiles over 30 or 90 days read these counts instead of every call
-- (docs/decisions/0009-latency-sketches.md). A value x > 0 falls in bucket
-- ceil(ln(x) / ln(gamma)), gamma = 1.01 / 0.99, which spans (gamma^(b-1), gamma^b]; the
-- bucket's value 2 gamma^b / (gamma + 1) is within 1 % of every x in it. Zero (and below)
-- is bucket -32768. One row holds the three measures of a bucket (a count of 0 where a
-- measure has no call in it), so the buckets they share are one row. The table has no key:
-- each commit appends the sums of the calls it inserted, readers sum rows that repeat a
-- bucket, and the store sums a day again into one row per bucket when its calls change in
-- place or once the day is over. '' stands for a missing key value, as in usage_hourly.
-- latency_daily holds the same counts per UTC day (kept by the same writes), so a 90-day
-- range reads whole days from it, and hours only at its edges: at 1 % a measure has about
-- 115 buckets a decade, so an hour of a busy deployment fills nearly as many rows as a day.
-- The bucket formula is written here because migrations run before the view macros are
-- created; latency_bucket() in queries/views/22_latency_source.sql is the same formula.
CREATE TABLE latency_hourly (
    hour               TIMESTAMPTZ NOT NULL,
    deployment         VARCHAR NOT NULL,
    model              VARCHAR NOT NULL,
    deployment_type    VARCHAR NOT NULL,
    tenant_id          VARCHAR NOT NULL,
    apim_subscription  VARCHAR NOT NULL,
    service            VARCHAR NOT NULL,
    bucket             SMALLINT NOT NULL,
    duration_calls     INTEGER NOT NULL,  -- calls whose duration_ms is in the bucket
    ttft_calls         INTEGER NOT NULL,  -- calls whose ttft_ms is in the bucket
    speed_calls        INTEGER NOT NULL   -- calls whose output tokens per second is
);

INSERT INTO latency_hourly
WITH measured AS (
    SELECT
        date_trunc('hour', start_time) AS hour,
        deployment,
        coalesce(model, '') AS model,
        coalesce(deployment_type, '') AS deployment_type,
        coalesce(tenant_id, '') AS tenant_id,
        coalesce(apim_subscription, '') AS apim_subscription,
        coalesce(service, '') AS service,
        duration_ms,
        ttft_ms,
        CASE WHEN output_tokens > 0 AND duration_ms > coalesce(ttft_ms, 0)
            THEN output_tokens / ((duration_ms - coalesce(ttft_ms, 0)) / 1000) END AS speed
    FROM calls
),
measures AS (
    SELECT * EXCLUDE (duration_ms, ttft_ms, speed), 1 AS measure, duration_ms AS x FROM measured
    UNION ALL
    SELECT * EXCLUDE (duration_ms, ttft_ms, speed), 2, ttft_ms FROM measured
    UNION ALL
    SELECT * EXCLUDE (duration_ms, ttft_ms, speed), 3, speed FROM measured
)
SELECT
    hour, deployment, model, deployment_type, tenant_id, apim_subscription, service,
    CAST(CASE WHEN x > 0
        THEN least(greatest(ceil(ln(x) / ln(1.01 / 0.99)), -32767), 32767)
        ELSE -32768 END AS SMALLINT) AS bucket,
    count(*) FILTER (WHERE measure = 1) AS duration_calls,
    count(*) FILTER (WHERE measure = 2) AS ttft_calls,
    count(*) FILTER (WHERE measure = 3) AS speed_calls
FROM measures
WHERE x IS NOT NULL AND isfinite(x)
GROUP BY ALL
ORDER BY hour;

CREATE TABLE latency_daily (
    day                DATE NOT NULL,
    deployment         VARCHAR NOT NULL,
    model              VARCHAR NOT NULL,
    deployment_type    VARCHAR NOT NULL,
    tenant_id          VARCHAR NOT NULL,
    apim_subscription  VARCHAR NOT NULL,
    service            VARCHAR NOT NULL,
    bucket             SMALLINT NOT NULL,
    duration_calls     INTEGER NOT NULL,
    ttft_calls         INTEGER NOT NULL,
    speed_calls        INTEGER NOT NULL
);

INSERT INTO latency_daily
SELECT
    CAST(hour AS DATE) AS day, deployment, model, deployment_type, tenant_id,
    apim_subscription, service, bucket,
    sum(duration_calls), sum(ttft_calls), sum(speed_calls)
FROM latency_hourly
GROUP BY ALL
ORDER BY day;
