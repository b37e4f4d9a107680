-- name: 02_call_tenant_keys
-- returns: table macro tenant_keys_between(start_ts, end_ts) and view call_tenant_keys (all time), one row per distinct (tenant_attr, apim_key, end_user_key, deployment, service_key) of the range's usage_hourly hours (call_keys while an end_user rule is in use) and usage_rollups: the tenant it resolves to and the rule kind
-- params:
-- The tenant rules of tenant_rules applied once per distinct combination of the columns they
-- read (see 03_call_tenants.sql for the rules); '' stands for a missing value.
-- Reports over a time range resolve only the combinations seen in that range: read from the
-- hourly summary (the hours the range touches: perhaps a few more combinations, never
-- fewer), or from the calls while a tenant rule reads end users, which the summary lacks.
CREATE OR REPLACE MACRO tenant_keys_between(start_ts, end_ts) AS TABLE
WITH combos AS (
    SELECT
        tenant_key(used.attribute, u.tenant_id) AS tenant_attr,
        tenant_key(used.apim_subscription, u.apim_subscription) AS apim_key,
        '' AS end_user_key,
        u.deployment,
        tenant_key(used.service, u.service) AS service_key
    FROM usage_hourly AS u, tenant_rule_kinds AS used
    WHERE NOT used.end_user AND u.hour >= date_trunc('hour', start_ts) AND u.hour < end_ts
    UNION
    -- The keys of 01_call_keys.sql, from calls itself (no view of every column to bind).
    SELECT
        tenant_key(used.attribute, c.tenant_id),
        tenant_key(used.apim_subscription, c.apim_subscription),
        tenant_key(used.end_user, c.end_user),
        c.deployment,
        tenant_key(used.service, c.service)
    FROM calls AS c, tenant_rule_kinds AS used
    WHERE used.end_user AND c.start_time >= start_ts AND c.start_time < end_ts
    UNION
    -- Hourly rollups (Log Analytics rollup mode) carry the same keys, where they know them.
    SELECT
        tenant_key(used.attribute, r.tenant_id),
        tenant_key(used.apim_subscription, r.apim_subscription),
        '',
        r.deployment,
        ''
    FROM usage_rollups AS r, tenant_rule_kinds AS used
    WHERE r.hour >= start_ts AND r.hour < end_ts
),
candidates AS (
    SELECT k.*, r.position, r.kind, k.tenant_attr AS tenant
    FROM combos AS k JOIN tenant_rules AS r ON r.kind = 'attribute'
    WHERE k.tenant_attr <> ''
    UNION ALL
    SELECT k.*, r.position, r.kind, r.tenant_id
    FROM combos AS k
    JOIN tenant_rules AS r ON r.kind = 'apim_subscription' AND k.apim_key = r.match
    UNION ALL
    SELECT k.*, r.position, r.kind, r.tenant_id
    FROM combos AS k JOIN tenant_rules AS r ON r.kind = 'end_user' AND k.end_user_key = r.match
    UNION ALL
    SELECT k.*, r.position, r.kind, r.tenant_id
    FROM combos AS k JOIN tenant_rules AS r ON r.kind = 'deployment' AND k.deployment = r.match
    UNION ALL
    SELECT k.*, r.position, r.kind, r.tenant_id
    FROM combos AS k JOIN tenant_rules AS r ON r.kind = 'service' AND k.service_key = r.match
),
first_match AS (
    SELECT tenant_attr, apim_key, end_user_key, deployment, service_key, tenant, kind
    FROM candidates
    QUALIFY row_number() OVER (
        PARTITION BY tenant_attr, apim_key, end_user_key, deployment, service_key
        ORDER BY position
    ) = 1
)
SELECT
    k.tenant_attr, k.apim_key, k.end_user_key, k.deployment, k.service_key,
    coalesce(f.tenant, 'unassigned') AS tenant_id,
    coalesce(f.kind, 'none') AS resolved_by
FROM combos AS k
LEFT JOIN first_match AS f USING (tenant_attr, apim_key, end_user_key, deployment, service_key);

CREATE OR REPLACE VIEW call_tenant_keys AS
SELECT * FROM tenant_keys_between(TIMESTAMPTZ '-infinity', TIMESTAMPTZ 'infinity');
