-- name: record_migration
-- returns: nothing
-- params: $version VARCHAR
INSERT INTO schema_migrations (version) VALUES ($version);
