-- name: 050_deployment_metrics
-- returns: nothing (migration): deployment_metrics, Azure Monitor platform metrics of the Azure OpenAI resources per deployment and hour (the Metrics REST API, source azure_monitor_metrics)
-- params:
-- AzureMetrics (diagnostic settings) carries no dimensions, and
-- AzureOpenAIProvisionedManagedUtilizationV2 never reaches it: per-deployment request
-- counts, tokens and PTU utilisation come from the Metrics REST API, split by the
-- ModelDeploymentName dimension, one value per hour. A counted metric (AzureOpenAIRequests,
-- InputTokens, OutputTokens, ...) keeps its Total; a percentage (utilisation) its Average
-- and Maximum. An hour read again replaces its row.
CREATE TABLE deployment_metrics (
    resource     VARCHAR NOT NULL,          -- the account name, lower case (as AzureMetrics names it)
    deployment   VARCHAR NOT NULL,          -- the ModelDeploymentName dimension ('' when Azure gave none)
    hour         TIMESTAMPTZ NOT NULL,      -- start of the UTC hour (interval PT1H)
    metric       VARCHAR NOT NULL,          -- AzureOpenAIRequests, AzureOpenAIProvisionedManagedUtilizationV2, ...
    total        DOUBLE,
    average      DOUBLE,
    maximum      DOUBLE,
    resource_id  VARCHAR NOT NULL,          -- the full Azure resource id the value was read from
    PRIMARY KEY (resource, deployment, hour, metric)
);
