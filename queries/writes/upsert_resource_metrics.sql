-- name: upsert_resource_metrics
-- returns: nothing; metric totals from the registered relation incoming_metrics (resource, minute, metric, total), a minute read again replacing its total
-- params:
INSERT OR REPLACE INTO resource_metrics BY NAME
SELECT resource, minute, metric, total FROM incoming_metrics;
