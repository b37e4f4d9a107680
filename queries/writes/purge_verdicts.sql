-- name: purge_verdicts
-- returns: nothing; deletes the content-filter verdicts of the calls that started before $before (run before purge_calls)
-- params: $before TIMESTAMPTZ
DELETE FROM filter_results
WHERE call_id IN (SELECT call_id FROM calls WHERE start_time < $before);
