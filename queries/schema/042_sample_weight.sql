-- name: 042_sample_weight
-- returns: nothing (migration): calls.sample_weight, how many calls each stored row stands for (1.0 unless its source sampled)
-- params:
-- A sampled source keeps one call in N and says so: Application Insights writes N as
-- ItemCount on the row it kept. Every count, token sum and cost multiplies by the weight,
-- so a sampled source is not undercounted. Rows stored before this migration were
-- unweighted and keep 1.0. The hourly summary is checked against the weighted ledger on
-- open and summed again if it differs.
ALTER TABLE calls ADD COLUMN sample_weight DOUBLE DEFAULT 1.0;
