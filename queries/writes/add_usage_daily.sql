-- name: add_usage_daily
-- returns: nothing; adds the calls of the registered relation new_calls (the calls one commit really inserted) to usage_daily
-- params:
-- Run in the same transaction as the insert.
INSERT INTO usage_daily BY NAME
SELECT * FROM daily_usage_of('new_calls')
ON CONFLICT DO UPDATE SET
    requests = requests + EXCLUDED.requests,
    input_tokens = input_tokens + EXCLUDED.input_tokens,
    cached_input_tokens = cached_input_tokens + EXCLUDED.cached_input_tokens,
    output_tokens = output_tokens + EXCLUDED.output_tokens,
    reasoning_tokens = reasoning_tokens + EXCLUDED.reasoning_tokens;
