-- name: 054_rollup_cache_writes
-- returns: nothing (migration): usage_rollups.cache_write_tokens, the prompt-cache writes an Application Insights rollup pull sums (0 where the source names none)
-- params:
ALTER TABLE usage_rollups ADD COLUMN cache_write_tokens BIGINT DEFAULT 0;
UPDATE usage_rollups SET cache_write_tokens = 0 WHERE cache_write_tokens IS NULL;
