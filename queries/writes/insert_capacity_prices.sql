-- name: insert_capacity_prices
-- returns: nothing; adds the rows of the registered relation incoming_capacity_prices (deployment_type, region, term, usd_per_ptu, effective_from, meter, read_on)
-- params:
INSERT INTO capacity_prices BY NAME
SELECT deployment_type, region, term, usd_per_ptu, effective_from, meter, read_on
FROM incoming_capacity_prices;
