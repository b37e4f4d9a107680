-- name: usage_hourly_in_step
-- returns: in_step (one row: whether usage_hourly sums to the ledger's calls, errors, input and output tokens, from calls_kept_from() on; the hours before it outlive their purged calls)
-- params:
WITH kept AS (SELECT * FROM calls WHERE start_time >= calls_kept_from()),
summed AS (SELECT * FROM usage_hourly WHERE hour >= calls_kept_from())
SELECT
    (SELECT weighted(sum(call_weight(sample_weight))) FROM kept)
        = (SELECT coalesce(sum(requests), 0) FROM summed)
    AND (SELECT weighted(sum(call_weight(sample_weight)) FILTER (WHERE status = 'error'))
         FROM kept)
        = (SELECT coalesce(sum(errors), 0) FROM summed)
    AND (SELECT weighted(sum(input_tokens * call_weight(sample_weight))) FROM kept)
        = (SELECT coalesce(sum(input_tokens), 0) FROM summed)
    AND (SELECT weighted(sum(output_tokens * call_weight(sample_weight))) FROM kept)
        = (SELECT coalesce(sum(output_tokens), 0) FROM summed)
    AS in_step;
