-- name: replace_context_tiers
-- returns: nothing; inserts the long-context thresholds of the file (clear_context_tiers first)
-- params: $path VARCHAR
INSERT INTO context_tiers
SELECT lower(model), long_above_tokens, source
FROM read_csv(
    $path,
    header = true,
    columns = {'model': 'VARCHAR', 'long_above_tokens': 'BIGINT', 'source': 'VARCHAR'}
);
