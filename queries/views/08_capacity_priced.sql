-- name: 08_capacity_priced
-- returns: view capacity_priced, one row per deployment of the registry whose provisioned (PTU) capacity has a price: deployment; scalar macro unpriced_usage(tokens, priced, billing, served_by): whether usage (a call, or a group of calls, served by deployment served_by) has tokens and no price
-- params:
-- The condition ptu_allocation() (06_ptu_allocation.sql) prices hours by: ptu and
-- ptu_hourly_usd, or reserved_monthly_usd. A provisioned deployment not listed here costs
-- nothing on any page, so its tokens are not priced (pricing_coverage.sql) and the pages
-- name it (unregistered_provisioned.sql).
CREATE OR REPLACE VIEW capacity_priced AS
SELECT deployment
FROM deployments
WHERE reserved_monthly_usd IS NOT NULL OR (ptu IS NOT NULL AND ptu_hourly_usd IS NOT NULL);

-- The one rule for "unpriced": usage with tokens and no per-token price (priced and billing
-- as costed_usage() gives them, 04_call_cost_rules.sql), or with tokens served by a
-- provisioned deployment whose capacity has no price. The pricing coverage counts it
-- (pricing_coverage.sql) and the Calls explorer lists its calls (calls_search.sql).
CREATE OR REPLACE MACRO unpriced_usage(tokens, priced, billing, served_by) AS
    tokens > 0 AND (NOT priced OR (
        billing = 'ptu' AND served_by NOT IN (SELECT deployment FROM capacity_priced)
    ));
