-- name: filter_options
-- returns: dimension, value (one row per distinct tenant_id, deployment, model, deployment_type or service of the calls in [$start, $end))
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
-- The distinct keys of the range's usage first, then the tenant each resolves to and what
-- the deployments registry fills in, as filtered_usage() does.
WITH keys AS (
    SELECT DISTINCT
        tenant_attr, apim_key, end_user_key, deployment, service_key, model, deployment_type,
        service
    FROM usage_source($start, $end, false)
),
combos AS (
    SELECT DISTINCT
        t.tenant_id,
        k.deployment,
        coalesce(k.model, d.model, '') AS model,
        coalesce(k.deployment_type, d.deployment_type, 'GlobalStandard') AS deployment_type,
        k.service
    FROM keys AS k
    JOIN tenant_keys_between($start, $end) AS t
        USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    LEFT JOIN deployments AS d ON d.deployment = k.deployment
)
SELECT DISTINCT 'tenant_id' AS dimension, tenant_id AS value FROM combos
UNION ALL SELECT DISTINCT 'deployment', deployment FROM combos
UNION ALL SELECT DISTINCT 'model', model FROM combos WHERE model <> ''
UNION ALL SELECT DISTINCT 'deployment_type', deployment_type FROM combos
UNION ALL SELECT DISTINCT 'service', service FROM combos
ORDER BY dimension, value;
