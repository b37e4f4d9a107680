-- name: call_cost
-- returns: base_model, billed_type, type_assumed, billing, priced, unpriced_reason, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, input_cost_usd, cached_input_cost_usd, output_cost_usd, payg_cost_usd (one row, or none for an unknown call id)
-- params: $call_id VARCHAR
-- The call priced alone: costed_usage() over the instant of its start.
WITH one AS (SELECT start_time FROM calls WHERE call_id = $call_id)
SELECT
    base_model, billed_type, type_assumed, billing, priced, unpriced_reason,
    input_tokens, cached_input_tokens, output_tokens, reasoning_tokens,
    input_cost_usd, cached_input_cost_usd, output_cost_usd, payg_cost_usd
FROM costed_usage(
    (SELECT start_time FROM one), (SELECT start_time FROM one) + INTERVAL 1 microsecond, true
)
WHERE call_id = $call_id;
