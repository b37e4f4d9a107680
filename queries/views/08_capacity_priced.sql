-- name: 08_capacity_priced
-- returns: view capacity_priced, one row per deployment of the registry whose provisioned (PTU) capacity has a price: deployment
-- params:
-- The condition ptu_allocation() (06_ptu_allocation.sql) prices hours by: ptu and
-- ptu_hourly_usd, or reserved_monthly_usd. A provisioned deployment not listed here costs
-- nothing on any page, so its tokens are not priced (pricing_coverage.sql) and the pages
-- name it (unregistered_provisioned.sql).
CREATE OR REPLACE VIEW capacity_priced AS
SELECT deployment
FROM deployments
WHERE reserved_monthly_usd IS NOT NULL OR (ptu IS NOT NULL AND ptu_hourly_usd IS NOT NULL);
