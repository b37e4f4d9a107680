-- name: applied_migrations
-- returns: version (one row per applied migration)
-- params:
SELECT version FROM schema_migrations ORDER BY version;
