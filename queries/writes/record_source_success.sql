-- name: record_source_success
-- returns: nothing; a slice of the source stored: the watermark moves to its end when the slice starts at or before it (never back, never past a gap), the error is cleared
-- params: $source VARCHAR, $slice_start TIMESTAMPTZ, $slice_end TIMESTAMPTZ
INSERT INTO source_state (source, watermark, last_attempt_at, last_success_at)
VALUES ($source, $slice_end, get_current_timestamp(), get_current_timestamp())
ON CONFLICT (source) DO UPDATE SET
    watermark = CASE
        WHEN source_state.watermark IS NULL OR $slice_start <= source_state.watermark
            THEN greatest(coalesce(source_state.watermark, $slice_end), $slice_end)
        ELSE source_state.watermark
    END,
    last_attempt_at = get_current_timestamp(),
    last_success_at = get_current_timestamp(),
    last_error = NULL,
    last_error_hint = NULL;
