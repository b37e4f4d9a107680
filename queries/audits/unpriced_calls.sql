-- name: unpriced_calls
-- returns: call_id, start_time, base_model, billed_type, unpriced_reason (one row per call with tokens and no price; must be none)
-- params:
SELECT call_id, start_time, base_model, billed_type, unpriced_reason
FROM call_costs
WHERE NOT priced
ORDER BY start_time, call_id;
