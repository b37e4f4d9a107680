-- name: 05_call_costs
-- returns: view call_costs, one row per call: its tokens (missing as 0), the keys tenant rules read, and the pay-as-you-go cost in USD at the price in force at the call's time
-- params:
-- The rules are in 04_call_cost_rules.sql (costed_usage), shared with the reports.
CREATE OR REPLACE VIEW call_costs AS
SELECT * EXCLUDE (hour, day, requests, errors, throttled, unknown_deployment, synthetic, unknown_tokens)
FROM costed_usage(TIMESTAMPTZ '-infinity', TIMESTAMPTZ 'infinity', true);
