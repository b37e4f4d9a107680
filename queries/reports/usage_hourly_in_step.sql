-- name: usage_hourly_in_step
-- returns: in_step (one row: whether usage_hourly sums to the ledger's calls, errors, input and output tokens)
-- params:
SELECT
    (SELECT weighted(sum(call_weight(sample_weight))) FROM calls)
        = (SELECT coalesce(sum(requests), 0) FROM usage_hourly)
    AND (SELECT weighted(sum(call_weight(sample_weight)) FILTER (WHERE status = 'error'))
         FROM calls)
        = (SELECT coalesce(sum(errors), 0) FROM usage_hourly)
    AND (SELECT weighted(sum(input_tokens * call_weight(sample_weight))) FROM calls)
        = (SELECT coalesce(sum(input_tokens), 0) FROM usage_hourly)
    AND (SELECT weighted(sum(output_tokens * call_weight(sample_weight))) FROM calls)
        = (SELECT coalesce(sum(output_tokens), 0) FROM usage_hourly)
    AS in_step;
