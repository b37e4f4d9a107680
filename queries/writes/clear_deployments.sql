-- name: clear_deployments
-- returns: nothing
-- params:
DELETE FROM deployments;
