-- name: deployments_seen
-- returns: deployment, operation, calls, last_seen (one row per deployment and operation seen in the ledger, most used first)
-- params:
SELECT deployment, operation, weighted(sum(call_weight(sample_weight))) AS calls, max(start_time) AS last_seen
FROM calls
WHERE deployment IS NOT NULL AND deployment <> 'unknown'
GROUP BY deployment, operation
ORDER BY calls DESC, deployment
