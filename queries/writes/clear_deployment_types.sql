-- name: clear_deployment_types
-- returns: nothing
-- params:
DELETE FROM deployment_types;
