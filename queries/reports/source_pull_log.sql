-- name: source_pull_log
-- returns: the most recent slices pulled from Log Analytics, newest first: source, pulled_at, slice_start, slice_end, outcome, rows_read, rows_stored, seconds, error
-- params: $limit BIGINT
SELECT source, pulled_at, slice_start, slice_end, outcome, rows_read, rows_stored, seconds, error
FROM source_pulls
ORDER BY pulled_at DESC
LIMIT $limit;
