-- name: context_tier_rules
-- returns: model, long_above_tokens (one row per model with a long-context threshold, by model)
-- params:
SELECT model, long_above_tokens FROM context_tiers ORDER BY model;
