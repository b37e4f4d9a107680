-- name: call_filter_results
-- returns: target, idx, category, severity, filtered, detected (one row per verdict of the call)
-- params: $call_id VARCHAR
SELECT target, idx, category, severity, filtered, detected
FROM filter_results
WHERE call_id = $call_id
ORDER BY target DESC, idx, category;
