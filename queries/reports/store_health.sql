-- name: store_health
-- returns: calls, last_ingest (one row)
-- params:
SELECT
    (SELECT count(*) FROM calls) AS calls,
    (SELECT max(received_at) FROM ingest_log) AS last_ingest;
