-- name: 07_deployment_catalog
-- returns: view deployment_catalog, one row per deployment registered or seen: deployment, resource, region, model, deployment_type, ptu, ptu_hourly_usd, reserved_monthly_usd, registered, calls, last_seen
-- params:
-- The deployments registry (deployments.toml) filled in with what calls reveal: for a
-- deployment the registry does not list, or a field it leaves empty, the values of its most
-- recent call that had them.
CREATE OR REPLACE VIEW deployment_catalog AS
WITH seen AS (
    SELECT
        deployment,
        arg_max(endpoint, start_time) FILTER (WHERE endpoint IS NOT NULL) AS resource,
        arg_max(region, start_time) FILTER (WHERE region IS NOT NULL) AS region,
        arg_max(regexp_replace(lower(model), '-(\d{4}-\d{2}-\d{2}|\d{4})$', ''), start_time)
            FILTER (WHERE model IS NOT NULL) AS model,
        arg_max(deployment_type, start_time) FILTER (WHERE deployment_type IS NOT NULL)
            AS deployment_type,
        weighted(sum(call_weight(sample_weight))) AS calls,
        max(start_time) AS last_seen
    FROM calls
    GROUP BY deployment
)
SELECT
    coalesce(d.deployment, s.deployment) AS deployment,
    coalesce(d.resource, s.resource) AS resource,
    coalesce(d.region, s.region) AS region,
    coalesce(d.model, s.model) AS model,
    coalesce(d.deployment_type, s.deployment_type) AS deployment_type,
    d.ptu,
    d.ptu_hourly_usd,
    d.reserved_monthly_usd,
    d.deployment IS NOT NULL AS registered,
    coalesce(s.calls, 0) AS calls,
    s.last_seen
FROM deployments AS d
FULL OUTER JOIN seen AS s USING (deployment)
ORDER BY deployment;
