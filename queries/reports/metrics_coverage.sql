-- name: metrics_coverage
-- returns: one row per day x deployment that Azure Monitor counted requests for: day, deployment, resources (the Azure OpenAI resources, comma-separated), azure_requests (AzureOpenAIRequests), ledger_calls (calls in the ledger, weighted), coverage (ledger_calls / azure_requests: the share of the traffic some source reported)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
-- Azure counts every request its resources answered, whoever sent it; the ledger holds
-- what the lens's sources reported. Below 1, calls reach Azure that no source sees (an
-- application without telemetry, a gateway not logged); above 1, the ledger holds calls
-- of another resource under the same deployment name. Ledger calls come from the hourly
-- summary, which counts each call sample_weight times.
WITH azure AS (
    SELECT
        CAST(hour AS DATE) AS day,
        deployment,
        string_agg(DISTINCT resource, ', ' ORDER BY resource) AS resources,
        sum(total) AS azure_requests
    FROM deployment_metrics
    WHERE metric = 'AzureOpenAIRequests' AND hour >= $start AND hour < $end
    GROUP BY ALL
),
ledger AS (
    SELECT CAST(hour AS DATE) AS day, deployment, sum(requests) AS ledger_calls
    FROM usage_hourly
    WHERE hour >= $start AND hour < $end
    GROUP BY ALL
)
SELECT
    a.day,
    a.deployment,
    a.resources,
    CAST(round(a.azure_requests) AS BIGINT) AS azure_requests,
    coalesce(l.ledger_calls, 0) AS ledger_calls,
    coalesce(l.ledger_calls, 0) / nullif(a.azure_requests, 0) AS coverage
FROM azure AS a
LEFT JOIN ledger AS l USING (day, deployment)
ORDER BY a.day DESC, a.deployment;
