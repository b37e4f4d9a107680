-- name: pricing_coverage
-- returns: tokens, priced_tokens, unpriced_tokens, coverage (priced_tokens / tokens, null without tokens), unpriced_calls (the calls of the hourly groups with tokens and no price: a failed call of such a group, without tokens, is among them) (one row, for the scope of the registered relation scoped_usage)
-- params:
-- A token is priced when its call has a per-token price, or when a provisioned (PTU)
-- deployment served it whose capacity has a price (capacity_priced). Tokens of a
-- provisioned deployment with no capacity price cost nothing anywhere: they are unpriced.
-- Calls whose tokens are unknown hold no tokens; overview_totals counts them.
WITH rows AS (
    SELECT
        u.requests,
        u.input_tokens + u.output_tokens AS tokens,
        u.priced AND (
            t.billing IS DISTINCT FROM 'ptu'
            OR u.deployment IN (SELECT deployment FROM capacity_priced)
        ) AS priced
    FROM scoped_usage AS u
    LEFT JOIN deployment_types AS t ON t.deployment_type = u.deployment_type
)
SELECT
    coalesce(sum(tokens), 0) AS tokens,
    coalesce(sum(tokens) FILTER (WHERE priced), 0) AS priced_tokens,
    coalesce(sum(tokens) FILTER (WHERE NOT priced), 0) AS unpriced_tokens,
    sum(tokens) FILTER (WHERE priced) / nullif(sum(tokens), 0) AS coverage,
    coalesce(sum(requests) FILTER (WHERE NOT priced AND tokens > 0), 0) AS unpriced_calls
FROM rows;
