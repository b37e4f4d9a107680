-- name: 003_tenants
-- returns: nothing (migration): who is charged, and the ordered rules that say so
-- params:
CREATE TABLE tenants (
    tenant_id            VARCHAR PRIMARY KEY,
    name                 VARCHAR NOT NULL,
    cost_center          VARCHAR,
    monthly_token_quota  BIGINT,
    monthly_budget_usd   DECIMAL(18, 2)
);

CREATE TABLE tenant_rules (
    position   INTEGER PRIMARY KEY,   -- first match wins
    kind       VARCHAR NOT NULL,      -- attribute | end_user | deployment | service
    match      VARCHAR,               -- the value to match (none for attribute)
    tenant_id  VARCHAR                -- the tenant charged (none for attribute)
);
