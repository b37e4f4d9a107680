-- name: calls_with_verdicts
-- returns: call_id of each of the given calls that has content-filter verdicts stored
-- params: $call_ids VARCHAR[]
SELECT DISTINCT call_id FROM filter_results WHERE list_contains($call_ids, call_id);
