-- name: record_purge
-- returns: nothing; records how far calls and message content are purged, never moving back
-- params: $calls_before TIMESTAMPTZ, $content_before TIMESTAMPTZ, $at TIMESTAMPTZ
UPDATE retention_state
SET calls_purged_before = greatest(coalesce(calls_purged_before, $calls_before), $calls_before),
    content_purged_before = greatest(coalesce(content_purged_before, $content_before),
                                     $content_before),
    purged_at = $at;
