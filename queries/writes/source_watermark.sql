-- name: source_watermark
-- returns: watermark of the source (no row before its first successful pull)
-- params: $source VARCHAR
SELECT watermark FROM source_state WHERE source = $source;
