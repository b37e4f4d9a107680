-- name: 00_call_weight
-- returns: scalar macros call_weight(sample_weight), how many calls one stored call counts as (a whole number, at least 1), weighted(total), a sum of weighted counts as BIGINT, and tokens_unknown(status, input_tokens, output_tokens), whether a call that did not fail says nothing of its tokens
-- params:
-- A sampled source keeps one call in N and stores it with sample_weight N
-- (042_sample_weight.sql); every count and token sum over calls adds call_weight() where it
-- added 1, and multiplies tokens by it. Counts are whole calls: a fractional weight is
-- rounded once per call, so the hourly summary and the calls always give the same sums.
-- Application Insights' ItemCount is a whole number already.
CREATE OR REPLACE MACRO call_weight(sample_weight) AS
    greatest(CAST(round(coalesce(sample_weight, 1.0)) AS BIGINT), 1);

CREATE OR REPLACE MACRO weighted(total) AS CAST(coalesce(total, 0) AS BIGINT);

-- A call that was answered but whose source gave no token count (the resource log's
-- RequestResponse category carries none; a stream read without include_usage) costs an
-- unknown amount: its tokens stay NULL in calls, and it is counted apart, never as $0.
CREATE OR REPLACE MACRO tokens_unknown(status, input_tokens, output_tokens) AS
    status <> 'error' AND input_tokens IS NULL AND output_tokens IS NULL;
