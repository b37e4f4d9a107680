-- name: record_source_failure
-- returns: nothing; a failed pull of the source: the error and what to do, the watermark untouched
-- params: $source VARCHAR, $error VARCHAR, $hint VARCHAR
INSERT INTO source_state (source, last_attempt_at, last_error, last_error_hint, last_error_at)
VALUES ($source, get_current_timestamp(), $error, $hint, get_current_timestamp())
ON CONFLICT (source) DO UPDATE SET
    last_attempt_at = get_current_timestamp(),
    last_error = $error,
    last_error_hint = $hint,
    last_error_at = get_current_timestamp();
