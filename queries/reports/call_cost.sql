-- name: call_cost
-- returns: base_model, billed_type, service_tier, context_tier, type_assumed, billing, priced, unpriced_reason, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens, reasoning_tokens, input_cost_usd, cached_input_cost_usd, cache_write_cost_usd, output_cost_usd, payg_cost_usd, price_row (the price book row that priced it), price_meters (its Azure meters, when read from the Retail Prices API) (one row, or none for an unknown call id)
-- params: $call_id VARCHAR, $start TIMESTAMPTZ
-- The call priced alone: costed_usage() over the instant of its start ($start, its
-- start_time, given as a value so the scan reads only that instant's row groups).
SELECT
    base_model, billed_type, service_tier, context_tier, type_assumed, billing, priced,
    unpriced_reason, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,
    reasoning_tokens, input_cost_usd, cached_input_cost_usd, cache_write_cost_usd,
    output_cost_usd, payg_cost_usd, price_row, price_meters
FROM costed_usage($start, $start + INTERVAL 1 microsecond, true)
WHERE call_id = $call_id;
