-- name: clear_capacity_prices
-- returns: nothing
-- params:
DELETE FROM capacity_prices;
