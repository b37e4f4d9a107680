-- name: calls_with_verdicts
-- returns: call_id of each of the given calls that has content-filter verdicts stored near [$window_start, $window_end]
-- params: $call_ids VARCHAR[], $window_start TIMESTAMPTZ, $window_end TIMESTAMPTZ
-- A verdict keeps the start time of the report that carried it: the window is a day wider
-- than the calls' own.
SELECT DISTINCT call_id
FROM filter_results
WHERE start_time BETWEEN $window_start - INTERVAL 1 DAY AND $window_end + INTERVAL 1 DAY
    AND list_contains($call_ids, call_id);
