-- name: upsert_deployment_metrics
-- returns: nothing; per-deployment hourly metric values from the registered relation incoming_deployment_metrics (resource, deployment, hour, metric, total, average, maximum, resource_id), an hour read again replacing its values
-- params:
INSERT OR REPLACE INTO deployment_metrics BY NAME
SELECT resource, deployment, hour, metric, total, average, maximum, resource_id
FROM incoming_deployment_metrics;
