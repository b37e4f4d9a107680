-- name: deployment_type_multipliers
-- returns: deployment_type, billing, multiplier (one row per deployment type: how it bills, and its factor on the GlobalStandard price where the book has no row of its own)
-- params:
SELECT deployment_type, billing, multiplier
FROM deployment_types
ORDER BY deployment_type;
