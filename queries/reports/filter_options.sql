-- name: filter_options
-- returns: dimension, value (one row per distinct tenant_id, deployment, model, deployment_type or service of the calls in [$start, $end))
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
WITH f AS (
    SELECT tenant_id, deployment, coalesce(model, '') AS model, deployment_type,
        coalesce(service, '') AS service
    FROM filtered_calls($start, $end, [], [], [], [], [])
),
combos AS (SELECT DISTINCT * FROM f)
SELECT DISTINCT 'tenant_id' AS dimension, tenant_id AS value FROM combos
UNION ALL SELECT DISTINCT 'deployment', deployment FROM combos
UNION ALL SELECT DISTINCT 'model', model FROM combos WHERE model <> ''
UNION ALL SELECT DISTINCT 'deployment_type', deployment_type FROM combos
UNION ALL SELECT DISTINCT 'service', service FROM combos
ORDER BY dimension, value;
