-- name: 004_deployments
-- returns: nothing (migration): the deployments registry (deployments.toml)
-- params:
CREATE TABLE deployments (
    deployment            VARCHAR PRIMARY KEY,
    resource              VARCHAR,
    region                VARCHAR,
    model                 VARCHAR,          -- base model, e.g. gpt-4o
    deployment_type       VARCHAR,
    ptu                   INTEGER,          -- provisioned throughput units
    ptu_hourly_usd        DECIMAL(18, 6),   -- price of one PTU-hour (hourly billing)
    reserved_monthly_usd  DECIMAL(18, 2)    -- or: the whole deployment's monthly reservation
);
