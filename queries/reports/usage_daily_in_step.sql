-- name: usage_daily_in_step
-- returns: in_step (one row: whether usage_daily sums to the ledger's calls, input and output tokens)
-- params:
SELECT
    (SELECT count(*) FROM calls) = (SELECT coalesce(sum(requests), 0) FROM usage_daily)
    AND (SELECT coalesce(sum(input_tokens), 0) FROM calls)
        = (SELECT coalesce(sum(input_tokens), 0) FROM usage_daily)
    AND (SELECT coalesce(sum(output_tokens), 0) FROM calls)
        = (SELECT coalesce(sum(output_tokens), 0) FROM usage_daily)
    AS in_step;
