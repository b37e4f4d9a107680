-- name: clear_tenants
-- returns: nothing
-- params:
DELETE FROM tenants;
