-- name: unregistered_provisioned
-- returns: deployment, deployment_type, model, registered (listed in deployments.toml, without a capacity price), calls, tokens (one row per provisioned deployment in the scope of the registered relation scoped_usage whose capacity has no price, most tokens first)
-- params:
-- A provisioned (PTU) deployment bills by the hour, not by the token; without ptu and
-- ptu_hourly_usd (or reserved_monthly_usd) in deployments.toml its hours have no price, and
-- its calls would read as free. The pages name each one and what to add.
SELECT
    u.deployment,
    arg_max(u.deployment_type, u.input_tokens + u.output_tokens) AS deployment_type,
    -- The base model, as deployments.toml names it (gpt-4o-2024-08-06 -> gpt-4o).
    regexp_replace(
        lower(arg_max(u.model, u.input_tokens + u.output_tokens) FILTER (
            WHERE u.model IS NOT NULL)),
        '-(\d{4}-\d{2}-\d{2}|\d{4})$', ''
    ) AS model,
    u.deployment IN (SELECT deployment FROM deployments) AS registered,
    sum(u.requests) AS calls,
    sum(u.input_tokens + u.output_tokens) AS tokens
FROM scoped_usage AS u
JOIN deployment_types AS t ON t.deployment_type = u.deployment_type
WHERE t.billing = 'ptu'
    AND u.deployment IS NOT NULL
    AND u.deployment NOT IN (SELECT deployment FROM capacity_priced)
GROUP BY u.deployment
ORDER BY tokens DESC, u.deployment;
