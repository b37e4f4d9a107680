-- name: keep_latency_periods
-- returns: nothing; the rows of the registered relation periods_read (hours, period, deployment, calls, durations_fp, p50_ms, p95_ms: answers of latency_over_time_from_sketches.sql for sealed buckets of whole hours) kept in latency_periods, in place of those of the same bucket
-- params:
INSERT OR REPLACE INTO latency_periods BY NAME
SELECT hours, period, deployment, calls, durations_fp, p50_ms, p95_ms
FROM periods_read;
