-- name: insert_deployment
-- returns: nothing
-- params: $deployment VARCHAR, $resource VARCHAR, $region VARCHAR, $model VARCHAR, $deployment_type VARCHAR, $ptu INTEGER, $ptu_hourly_usd DECIMAL, $reserved_monthly_usd DECIMAL, $tpm_quota BIGINT, $monthly_budget_usd DECIMAL, $since TIMESTAMPTZ
INSERT INTO deployments (
    deployment, resource, region, model, deployment_type, ptu, ptu_hourly_usd,
    reserved_monthly_usd, tpm_quota, monthly_budget_usd, since
) VALUES (
    $deployment, $resource, $region, $model, $deployment_type, $ptu, $ptu_hourly_usd,
    $reserved_monthly_usd, $tpm_quota, $monthly_budget_usd, $since
);
