-- name: add_usage_hourly
-- returns: nothing; adds the calls of the registered relation new_calls (the calls one commit really inserted) to usage_hourly
-- params:
-- Run in the same transaction as the insert.
INSERT INTO usage_hourly BY NAME
SELECT * FROM hourly_usage_of('new_calls')
ON CONFLICT DO UPDATE SET
    requests = requests + EXCLUDED.requests,
    errors = errors + EXCLUDED.errors,
    throttled = throttled + EXCLUDED.throttled,
    unknown_deployment = unknown_deployment + EXCLUDED.unknown_deployment,
    synthetic = synthetic + EXCLUDED.synthetic,
    unknown_tokens = unknown_tokens + EXCLUDED.unknown_tokens,
    input_tokens = input_tokens + EXCLUDED.input_tokens,
    cached_input_tokens = cached_input_tokens + EXCLUDED.cached_input_tokens,
    output_tokens = output_tokens + EXCLUDED.output_tokens,
    reasoning_tokens = reasoning_tokens + EXCLUDED.reasoning_tokens,
    cache_write_tokens = cache_write_tokens + EXCLUDED.cache_write_tokens;
