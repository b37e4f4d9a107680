-- name: record_source_pull
-- returns: nothing; one row of the pull log per slice read
-- params: $source VARCHAR, $slice_start TIMESTAMPTZ, $slice_end TIMESTAMPTZ, $outcome VARCHAR, $rows_read BIGINT, $rows_stored BIGINT, $seconds DOUBLE, $error VARCHAR
INSERT INTO source_pulls
VALUES (
    $source, current_timestamp, $slice_start, $slice_end, $outcome, $rows_read, $rows_stored,
    $seconds, $error
);
