-- name: clear_unmapped_meters
-- returns: nothing
-- params:
DELETE FROM unmapped_meters;
