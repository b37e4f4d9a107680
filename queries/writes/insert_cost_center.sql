-- name: insert_cost_center
-- returns: nothing
-- params: $cost_center VARCHAR, $monthly_budget_usd DECIMAL
INSERT INTO cost_centers (cost_center, monthly_budget_usd) VALUES ($cost_center, $monthly_budget_usd);
