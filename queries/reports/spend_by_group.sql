-- name: spend_by_group
-- returns: {group_by}, requests, tokens, payg_cost_usd, share_of_spend (one row per group, most spend first, from the registered relation scoped_usage)
-- params:
-- choices: group_by = deployment|tenant_id
SELECT
    {group_by},
    sum(requests) AS requests,
    sum(input_tokens + output_tokens) AS tokens,
    sum(payg_cost_usd) AS payg_cost_usd,
    coalesce(sum(payg_cost_usd) / nullif(sum(sum(payg_cost_usd)) OVER (), 0), 0)
        AS share_of_spend
FROM scoped_usage
GROUP BY ALL
ORDER BY payg_cost_usd DESC, requests DESC, {group_by};
