-- name: unpriced_calls
-- returns: call_id, start_time, base_model, billed_type, unpriced_reason (one row per call with tokens and no price; must be none)
-- params:
SELECT call_id, start_time, base_model, billed_type, unpriced_reason
FROM call_costs
-- A call whose tokens are unknown is unpriced too, but no price would help: not listed.
WHERE NOT priced AND input_tokens + output_tokens > 0
ORDER BY start_time, call_id;
