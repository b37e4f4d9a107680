-- name: latency_over_time_from_sketches
-- returns: bucket, deployment, calls, p50_ms, p95_ms (one row per bucket x deployment), durations_fp (with $summarised, the sum of hashes of the bucket's sketch buckets, what latency_periods keeps it at; else NULL), kept (whether the row came from latency_periods), complete (false when a bucket of whole hours latency_periods did not answer lies before $sketch_from's and was not read; the same in every row)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $bucket INTERVAL, $summarised BOOLEAN, $sketch_from TIMESTAMPTZ
-- latency_over_time.sql over a long range from the latency sketch (time buckets of whole
-- hours), percentiles within 1 % of the exact ones. With $summarised (a scope that chooses
-- deployments only), a bucket of whole hours inside the range whose answer latency_periods
-- keeps at the sketch's count and sum of hashes now is read from there; the others are
-- read from the sketch, from $sketch_from's bucket on ($start without $summarised; the
-- caller reads again from $start when the rows are not complete).
WITH source AS NOT MATERIALIZED (
    SELECT
        hour,
        hours_bucket($bucket, hour) AS period,
        -- Whether the bucket is of whole hours inside the range: only such are kept.
        hours_bucket($bucket, hour) >= date_trunc('hour', $start - INTERVAL 1 microsecond)
                + INTERVAL 1 hour
            AND hours_bucket($bucket, hour) + $bucket <= date_trunc('hour', $end) AS whole,
        deployment,
        bucket AS b,
        duration_calls
    FROM latency_source($start, $end, epoch($bucket) % 86400 = 0, $tenants, $deployments, $models, $types, $services)
    WHERE duration_calls > 0
),
prints AS (
    SELECT
        period,
        deployment,
        whole,
        CAST(sum(duration_calls) AS BIGINT) AS durations_n,
        sum(CAST(hash(b) AS HUGEINT) * duration_calls) AS durations_fp
    FROM source
    WHERE $summarised
    GROUP BY ALL
),
kept AS (
    SELECT k.period, k.deployment, k.calls, k.p50_ms, k.p95_ms, k.durations_fp
    FROM prints AS p
    JOIN latency_periods AS k
        ON k.hours = epoch($bucket) // 3600 AND k.period = p.period
        AND k.deployment = p.deployment
    WHERE p.whole AND k.calls = p.durations_n AND k.durations_fp = p.durations_fp
),
counts AS (
    SELECT s.period, s.deployment, s.b, CAST(sum(s.duration_calls) AS BIGINT) AS durations
    FROM source AS s
    ANTI JOIN kept AS k USING (period, deployment)
    -- The same test on the hour itself, so that it filters the sketch as it is read: the
    -- hours before the first bucket of whole hours, and those from the last one's end or
    -- $sketch_from's bucket on.
    WHERE (
            s.hour < hours_bucket($bucket, date_trunc('hour', $start - INTERVAL 1 microsecond)
                + INTERVAL 1 hour - INTERVAL 1 microsecond) + $bucket
            OR s.hour >= least(
                hours_bucket($bucket, date_trunc('hour', $end)),
                hours_bucket($bucket, $sketch_from)
            )
        )
        AND (NOT s.whole OR s.period >= hours_bucket($bucket, $sketch_from))
    GROUP BY ALL
),
running AS (
    SELECT
        period,
        deployment,
        b,
        CAST(sum(durations) OVER upto AS BIGINT) AS durations_upto,
        CAST(sum(durations) OVER whole AS BIGINT) AS durations_n
    FROM counts
    WINDOW whole AS (PARTITION BY period, deployment),
        upto AS (PARTITION BY period, deployment ORDER BY b ROWS UNBOUNDED PRECEDING)
),
read AS (
    SELECT
        period,
        deployment,
        CAST(max(durations_n) AS BIGINT) AS calls,
        sketch_quantile(b, durations_upto, durations_n, 0.5) AS p50_ms,
        sketch_quantile(b, durations_upto, durations_n, 0.95) AS p95_ms
    FROM running
    GROUP BY period, deployment
),
answered AS (
    SELECT r.*, p.durations_fp, false AS kept
    FROM read AS r
    LEFT JOIN prints AS p USING (period, deployment)
    UNION ALL
    SELECT period, deployment, calls, p50_ms, p95_ms, durations_fp, true AS kept
    FROM kept
)
SELECT
    period AS bucket,
    deployment,
    calls,
    p50_ms,
    p95_ms,
    durations_fp,
    kept,
    coalesce(
        (
            SELECT min(period)
            FROM prints
            ANTI JOIN kept USING (period, deployment)
            WHERE whole
        ) >= hours_bucket($bucket, $sketch_from),
        true
    ) AS complete
FROM answered
ORDER BY bucket, deployment;
