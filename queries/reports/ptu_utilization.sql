-- name: ptu_utilization
-- returns: one row per deployment with Azure-measured PTU utilisation in [$start, $end): deployment, hours_measured, azure_utilization (mean of the hourly averages, 0-1), azure_peak (the highest hourly maximum, 0-1), lens_tokens (input + output tokens of the ledger's calls in those hours, weighted), lens_capacity_used (lens_tokens against the tpm quota over those hours, 0-1; NULL without a tpm)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $deployments VARCHAR[]
-- AzureOpenAIProvisionedManagedUtilizationV2 is Azure's own measure of a provisioned
-- deployment's capacity in use (a percentage per hour, from the Metrics REST API). The
-- lens's "capacity used" is its own estimate from the tokens it saw and the deployment's
-- tpm in deployments.toml, over the same hours, so the two can be read side by side: a
-- lens figure far below Azure's says traffic reaches the deployment that no source reports.
WITH measured AS (
    SELECT deployment, hour, avg(average) AS average, max(maximum) AS maximum
    FROM deployment_metrics
    WHERE metric = 'AzureOpenAIProvisionedManagedUtilizationV2'
        AND hour >= $start AND hour < $end
        AND (len($deployments) = 0 OR list_contains($deployments, deployment))
    GROUP BY deployment, hour
),
seen AS (
    SELECT u.deployment, u.hour, sum(u.input_tokens + u.output_tokens) AS tokens
    FROM usage_hourly AS u
    JOIN measured AS m USING (deployment, hour)
    GROUP BY ALL
)
SELECT
    m.deployment,
    count(*) AS hours_measured,
    avg(m.average) / 100.0 AS azure_utilization,
    max(m.maximum) / 100.0 AS azure_peak,
    CAST(coalesce(sum(s.tokens), 0) AS BIGINT) AS lens_tokens,
    coalesce(sum(s.tokens), 0) / nullif(any_value(d.tpm_quota) * 60.0 * count(*), 0)
        AS lens_capacity_used
FROM measured AS m
LEFT JOIN seen AS s USING (deployment, hour)
LEFT JOIN deployments AS d USING (deployment)
GROUP BY m.deployment
ORDER BY m.deployment;
