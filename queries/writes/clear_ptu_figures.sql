-- name: clear_ptu_figures
-- returns: nothing
-- params:
DELETE FROM ptu_figures;
