-- name: call_detail
-- returns: every column of calls, plus resolved_tenant_id, resolved_by and session_id (the attribute session.id: the conversation the call belongs to, when its source said) (one row, or none for an unknown call id)
-- params: $call_id VARCHAR, $start TIMESTAMPTZ
-- $start is the call's start_time (call_start_time.sql), given as a value so the tenant
-- keys are resolved for that instant only, and the calls read are those of that instant.
WITH one AS (SELECT * FROM call_keys WHERE call_id = $call_id AND start_time = $start)
SELECT one.* EXCLUDE (tenant_attr, apim_key, end_user_key, service_key),
       t.tenant_id AS resolved_tenant_id,
       t.resolved_by,
       json_extract_string(one.attributes, '$."session.id"') AS session_id
FROM one
JOIN tenant_keys_between($start, $start + INTERVAL 1 microsecond) AS t
    USING (tenant_attr, apim_key, end_user_key, deployment, service_key);
