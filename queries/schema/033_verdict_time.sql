-- name: 033_verdict_time
-- returns: nothing (migration): filter_results.start_time, the start of the verdict's call as its writer saw it, so reports over a time range read only the verdicts near that range
-- params:
-- Verdicts are appended as their calls arrive, so this column is in time order and DuckDB's
-- zone maps skip the row groups of other times. A verdict merged onto another source's
-- report of the same call keeps the time of the report that carried it: reports pad their
-- range by a day and join on call_id for the exact answer.
ALTER TABLE filter_results ADD COLUMN start_time TIMESTAMPTZ;

UPDATE filter_results AS r
SET start_time = c.start_time
FROM calls AS c
WHERE c.call_id = r.call_id;
