-- name: 00_call_weight
-- returns: scalar macros call_weight(sample_weight), how many calls one stored call counts as (a whole number, at least 1), and weighted(total), a sum of weighted counts as BIGINT
-- params:
-- A sampled source keeps one call in N and stores it with sample_weight N
-- (042_sample_weight.sql); every count and token sum over calls adds call_weight() where it
-- added 1, and multiplies tokens by it. Counts are whole calls: a fractional weight is
-- rounded once per call, so the hourly summary and the calls always give the same sums.
-- Application Insights' ItemCount is a whole number already.
CREATE OR REPLACE MACRO call_weight(sample_weight) AS
    greatest(CAST(round(coalesce(sample_weight, 1.0)) AS BIGINT), 1);

CREATE OR REPLACE MACRO weighted(total) AS CAST(coalesce(total, 0) AS BIGINT);
