-- name: 01_call_keys
-- returns: scalar macro tenant_key(kind_in_use, value), view tenant_rule_kinds (one row: which rule kinds are in use) and view call_keys, one row per call: every calls column plus the keys tenant rules read (tenant_attr, apim_key, end_user_key, service_key; '' for a missing value or a kind no rule uses)
-- params:
-- Views are created in file-name order, each after the views it reads. The keys are
-- computed here once, so every view that resolves tenants joins on them with
-- USING (tenant_attr, apim_key, end_user_key, deployment, service_key).
-- A key is kept only while some tenant rule reads that kind: with no end_user rule, the
-- thousands of end users do not multiply the combinations to resolve and the price groups.
-- A value tenant rules may read: '' for a missing value, or for a kind no rule uses.
CREATE OR REPLACE MACRO tenant_key(kind_in_use, value) AS
    CASE WHEN kind_in_use THEN coalesce(value, '') ELSE '' END;

CREATE OR REPLACE VIEW tenant_rule_kinds AS
SELECT
    coalesce(bool_or(kind = 'attribute'), false) AS attribute,
    coalesce(bool_or(kind = 'apim_subscription'), false) AS apim_subscription,
    coalesce(bool_or(kind = 'end_user'), false) AS end_user,
    coalesce(bool_or(kind = 'service'), false) AS service
FROM tenant_rules;

CREATE OR REPLACE VIEW call_keys AS
SELECT
    c.*,
    tenant_key(used.attribute, c.tenant_id) AS tenant_attr,
    tenant_key(used.apim_subscription, c.apim_subscription)
        AS apim_key,
    tenant_key(used.end_user, c.end_user) AS end_user_key,
    tenant_key(used.service, c.service) AS service_key
FROM calls AS c, tenant_rule_kinds AS used;
