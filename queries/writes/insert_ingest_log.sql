-- name: insert_ingest_log
-- returns: nothing; one row per write batch of a commit (a request, a pull slice): its source, the calls it stored and the spans or rows it left out
-- params: $sources VARCHAR[], $calls BIGINT[], $rejected BIGINT[]
INSERT INTO ingest_log (received_at, source, calls, rejected)
SELECT current_timestamp, unnest($sources), unnest($calls), unnest($rejected);
