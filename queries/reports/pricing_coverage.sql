-- name: pricing_coverage
-- returns: tokens, priced_tokens, unpriced_tokens, coverage (priced_tokens / tokens, null without tokens), unpriced_calls (the calls of the hourly groups with tokens and no price: a failed call of such a group, without tokens, is among them) (one row, for the scope of the registered relation scoped_usage)
-- params:
-- A token is priced when its call has a per-token price, or when a provisioned (PTU)
-- deployment served it whose capacity has a price (capacity_priced). Tokens of a
-- provisioned deployment with no capacity price cost nothing anywhere: they are unpriced
-- (unpriced_usage(), the rule the Calls explorer's unpriced calls follow too).
-- Calls whose tokens are unknown hold no tokens; overview_totals counts them.
WITH rows AS (
    SELECT
        u.requests,
        u.input_tokens + u.output_tokens AS tokens,
        unpriced_usage(u.input_tokens + u.output_tokens, u.priced, t.billing, u.deployment)
            AS unpriced
    FROM scoped_usage AS u
    LEFT JOIN deployment_types AS t ON t.deployment_type = u.deployment_type
)
SELECT
    coalesce(sum(tokens), 0) AS tokens,
    coalesce(sum(tokens) FILTER (WHERE NOT unpriced), 0) AS priced_tokens,
    coalesce(sum(tokens) FILTER (WHERE unpriced), 0) AS unpriced_tokens,
    sum(tokens) FILTER (WHERE NOT unpriced) / nullif(sum(tokens), 0) AS coverage,
    coalesce(sum(requests) FILTER (WHERE unpriced), 0) AS unpriced_calls
FROM rows;
