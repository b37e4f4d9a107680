-- name: insert_tenant_rule
-- returns: nothing
-- params: $position INTEGER, $kind VARCHAR, $match VARCHAR, $tenant_id VARCHAR
INSERT INTO tenant_rules VALUES ($position, $kind, $match, $tenant_id);
