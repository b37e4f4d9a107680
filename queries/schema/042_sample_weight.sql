-- name: 042_sample_weight
-- returns: nothing (migration): calls.sample_weight, how many calls each stored row stands for (1.0 unless its source sampled); usage_hourly.unknown_tokens, the calls of a group whose source gave no token counts
-- params:
-- A sampled source keeps one call in N and says so: Application Insights writes N as
-- ItemCount on the row it kept. Every count, token sum and cost multiplies by the weight,
-- so a sampled source is not undercounted. Rows stored before this migration were
-- unweighted and keep 1.0.
-- A call answered without token counts (the Azure OpenAI resource log has none) costs an
-- unknown amount, not $0: the summary counts such calls, so reports can say so. It is
-- emptied here and summed again from the calls when the file is next opened.
ALTER TABLE calls ADD COLUMN sample_weight DOUBLE DEFAULT 1.0;

ALTER TABLE usage_hourly ADD COLUMN unknown_tokens BIGINT NOT NULL DEFAULT 0;

DELETE FROM usage_hourly;
