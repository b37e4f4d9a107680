-- name: 01_call_keys
-- returns: view call_keys, one row per call: every calls column plus the keys tenant rules read (tenant_attr, apim_key, end_user_key, service_key; '' for a missing value)
-- params:
-- Views are created in file-name order, each after the views it reads. The keys are
-- computed here once, so every view that resolves tenants joins on them with
-- USING (tenant_attr, apim_key, end_user_key, deployment, service_key).
CREATE OR REPLACE VIEW call_keys AS
SELECT
    c.*,
    coalesce(c.tenant_id, '') AS tenant_attr,
    coalesce(c.apim_subscription, '') AS apim_key,
    coalesce(c.end_user, '') AS end_user_key,
    coalesce(c.service, '') AS service_key
FROM calls AS c;
