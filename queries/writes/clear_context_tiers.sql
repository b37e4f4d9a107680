-- name: clear_context_tiers
-- returns: nothing
-- params:
DELETE FROM context_tiers;
