-- name: clear_tenant_rules
-- returns: nothing
-- params:
DELETE FROM tenant_rules;
