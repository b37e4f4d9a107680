-- name: clear_cost_centers
-- returns: nothing
-- params:
DELETE FROM cost_centers;
