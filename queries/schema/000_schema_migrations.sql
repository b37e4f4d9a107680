-- name: 000_schema_migrations
-- returns: nothing (migration): the record of applied migrations
-- params:
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     VARCHAR PRIMARY KEY,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
