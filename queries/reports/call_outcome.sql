-- name: call_outcome
-- returns: call_id, start_time, deployment, model, deployment_type, region, tenant_id, status, http_status, filter_action, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, duration_ms, ttft_ms, billing, priced, unpriced_reason, payg_cost_usd (one row, or none while the call has not been stored)
-- params: $call_id VARCHAR
SELECT
    c.call_id,
    c.start_time,
    c.deployment,
    c.model,
    k.billed_type AS deployment_type,
    c.region,
    t.tenant_id,
    c.status,
    c.http_status,
    c.filter_action,
    k.input_tokens,
    k.cached_input_tokens,
    k.output_tokens,
    k.reasoning_tokens,
    c.duration_ms,
    c.ttft_ms,
    k.billing,
    k.priced,
    k.unpriced_reason,
    k.payg_cost_usd
FROM calls AS c
JOIN call_costs AS k USING (call_id)
LEFT JOIN call_tenants AS t USING (call_id)
WHERE c.call_id = $call_id
