-- name: call_detail
-- returns: every column of calls, plus resolved_tenant_id and resolved_by (one row, or none for an unknown call id)
-- params: $call_id VARCHAR
WITH one AS (SELECT * FROM call_keys WHERE call_id = $call_id)
SELECT one.* EXCLUDE (tenant_attr, apim_key, end_user_key, service_key),
       t.tenant_id AS resolved_tenant_id,
       t.resolved_by
FROM one
JOIN tenant_keys_between(
    (SELECT start_time FROM one), (SELECT start_time FROM one) + INTERVAL 1 microsecond
) AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key);
