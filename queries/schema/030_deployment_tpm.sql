-- name: 030_deployment_tpm
-- returns: nothing (migration): a deployment's tokens-per-minute quota, when known
-- params:
ALTER TABLE deployments ADD COLUMN tpm_quota BIGINT;
