-- name: capacity_prices_read
-- returns: deployment_type, region, term, usd_per_ptu, effective_from, meter, read_on (one row per provisioned throughput price the last applied refresh read)
-- params:
SELECT deployment_type, region, term, usd_per_ptu, effective_from, meter, read_on
FROM capacity_prices
ORDER BY deployment_type, region, term, effective_from;
