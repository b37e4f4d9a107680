-- name: insert_tenant
-- returns: nothing
-- params: $tenant_id VARCHAR, $tenant_name VARCHAR, $cost_center VARCHAR, $monthly_token_quota BIGINT, $monthly_budget_usd DECIMAL
INSERT INTO tenants VALUES ($tenant_id, $tenant_name, $cost_center, $monthly_token_quota, $monthly_budget_usd);
