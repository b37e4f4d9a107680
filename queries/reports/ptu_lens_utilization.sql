-- name: ptu_lens_utilization
-- returns: deployment, lens_utilization (the mean over the hours Azure Monitor measured of the lens's own utilisation by PTU figures, 06_ptu_allocation.sql; NULL when none of those hours is charged) (one row per deployment with AzureOpenAIProvisionedManagedUtilizationV2 hours in [$start, $end))
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $deployments VARCHAR[]
-- Read beside ptu_utilization.sql: the tokens the lens saw against what the PTUs can
-- serve by Microsoft's figures, over the same hours as Azure's measure (ptu_allocation()
-- charges none before the deployment's first call: those hours count as unknown).
WITH measured AS (
    SELECT DISTINCT deployment, hour
    FROM deployment_metrics
    WHERE metric = 'AzureOpenAIProvisionedManagedUtilizationV2'
        AND hour >= $start AND hour < $end
        AND (len($deployments) = 0 OR list_contains($deployments, deployment))
),
allocated AS (
    SELECT deployment, hour, any_value(utilization) AS utilization
    FROM ptu_allocation($start, $end)
    GROUP BY deployment, hour
)
SELECT m.deployment, avg(a.utilization) AS lens_utilization
FROM measured AS m
LEFT JOIN allocated AS a USING (deployment, hour)
GROUP BY m.deployment
ORDER BY m.deployment;
