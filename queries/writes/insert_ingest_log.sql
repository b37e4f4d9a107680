-- name: insert_ingest_log
-- returns: nothing; one row per committed write batch
-- params: $source VARCHAR, $calls BIGINT, $rejected BIGINT
INSERT INTO ingest_log (received_at, source, calls, rejected)
VALUES (current_timestamp, $source, $calls, $rejected);
