-- name: 046_alert_log
-- returns: nothing (migration): budgets per cost center and per deployment, and alert_log, one row per fired alert and webhook with its delivery outcome
-- params:
-- A cost center's monthly budget ([[cost_center]] in tenants.toml).
CREATE TABLE IF NOT EXISTS cost_centers (
    cost_center         VARCHAR PRIMARY KEY,
    monthly_budget_usd  DECIMAL(18, 2)
);

-- A deployment's monthly budget (monthly_budget_usd in deployments.toml).
ALTER TABLE deployments ADD COLUMN IF NOT EXISTS monthly_budget_usd DECIMAL(18, 2);

-- An alert fires once per (scope_kind, scope, month, rule, threshold_pct): the row is
-- written before delivery, so a second evaluation or a restarted server finds it. One row
-- per webhook (webhook_index 0.. in LENS_ALERT_WEBHOOKS order; -1 when none is set).
-- rule: 'spend' (month-to-date spend reached threshold_pct of the budget) or 'forecast'
-- (the linear month-end forecast reached it while spend had not).
-- status: 'pending' (being delivered), 'delivered', 'failed', or 'logged' (no webhook).
CREATE TABLE IF NOT EXISTS alert_log (
    scope_kind     VARCHAR NOT NULL,        -- tenant | cost_center | deployment
    scope          VARCHAR NOT NULL,
    month          VARCHAR NOT NULL,        -- YYYY-MM (UTC)
    rule           VARCHAR NOT NULL,
    threshold_pct  DOUBLE NOT NULL,
    spend_usd      DECIMAL(18, 6) NOT NULL,
    budget_usd     DECIMAL(18, 2) NOT NULL,
    forecast_usd   DECIMAL(18, 6) NOT NULL,
    fired_at       TIMESTAMPTZ NOT NULL,
    webhook_index  INTEGER NOT NULL,
    webhook        VARCHAR NOT NULL,        -- format and host only: the URL may hold a secret
    status         VARCHAR NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     VARCHAR,
    delivered_at   TIMESTAMPTZ,
    PRIMARY KEY (scope_kind, scope, month, rule, threshold_pct, webhook_index)
);
