-- name: call_filter_results
-- returns: target, idx, category, severity, filtered, detected (one row per verdict of the call)
-- params: $call_id VARCHAR, $start TIMESTAMPTZ
-- $start is the call's start_time: only the verdicts written near it are read
-- (033_verdict_time.sql).
SELECT target, idx, category, severity, filtered, detected
FROM filter_results
WHERE call_id = $call_id
    AND start_time >= $start - INTERVAL 1 day AND start_time < $start + INTERVAL 1 day
ORDER BY target DESC, idx, category;
