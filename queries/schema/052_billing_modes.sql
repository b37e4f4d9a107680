-- name: 052_billing_modes
-- returns: nothing (migration): what a call's price depends on besides model and deployment type (calls.service_tier, calls.cache_write_tokens; price_book service and context tiers, cache-write price, Azure meters; context_tiers), capacity_prices and unmapped_meters from the Retail Prices API, and usage_hourly keyed by service and context tier
-- params:
-- A call is priced at the service tier its response reports (default, priority, flex;
-- NULL read as default), at its context tier (long when its prompt is above its model's
-- threshold in context_tiers), and by token class: cache writes are part of input_tokens,
-- like cached input, and bill at their own price where the model has one.
ALTER TABLE calls ADD COLUMN IF NOT EXISTS service_tier VARCHAR;
ALTER TABLE calls ADD COLUMN IF NOT EXISTS cache_write_tokens BIGINT;

ALTER TABLE price_book ADD COLUMN service_tier VARCHAR DEFAULT 'default';  -- as responses say
ALTER TABLE price_book ADD COLUMN context_tier VARCHAR;     -- short | long; NULL: any prompt
ALTER TABLE price_book ADD COLUMN cache_write_per_1m DECIMAL(18, 6);  -- NULL: as input
ALTER TABLE price_book ADD COLUMN meters VARCHAR;           -- Azure meter names, '; '-joined
UPDATE price_book SET service_tier = 'default' WHERE service_tier IS NULL;

CREATE TABLE context_tiers (
    model              VARCHAR PRIMARY KEY,  -- base model name
    long_above_tokens  BIGINT NOT NULL,      -- prompts (input_tokens) above this bill as long
    source             VARCHAR
);

-- Provisioned throughput prices per PTU, as the last applied refresh read them.
CREATE TABLE capacity_prices (
    deployment_type  VARCHAR NOT NULL,       -- GlobalProvisionedManaged, ...
    region           VARCHAR NOT NULL,
    term             VARCHAR NOT NULL,       -- hourly | monthly | yearly
    usd_per_ptu      DECIMAL(18, 6) NOT NULL,
    effective_from   DATE NOT NULL,
    meter            VARCHAR NOT NULL,
    read_on          DATE NOT NULL
);

-- The meters the last price refresh could not map, and why.
CREATE TABLE unmapped_meters (
    read_at  TIMESTAMPTZ NOT NULL,
    meter    VARCHAR NOT NULL,
    product  VARCHAR NOT NULL,
    unit     VARCHAR NOT NULL,
    reason   VARCHAR NOT NULL
);

-- usage_hourly gains two key columns: a new table with every column it has (including any
-- added since 032), keyed by the old key and the two tiers. The rows are copied as default
-- tier, short context; the hours whose calls are still kept are then emptied, so the store
-- finds the summary out of step when it opens the file and sums them again from the calls
-- (the hours before retention's horizon keep their rows: their calls are gone).
CREATE TABLE usage_hourly_052 AS
SELECT *, 'default' AS service_tier, 'short' AS context_tier,
       CAST(0 AS BIGINT) AS cache_write_tokens
FROM usage_hourly;

DROP TABLE usage_hourly;

ALTER TABLE usage_hourly_052 RENAME TO usage_hourly;

ALTER TABLE usage_hourly ADD PRIMARY KEY (
    hour, deployment, model, region, deployment_type, tenant_id, apim_subscription,
    service, filter_action, incident_end_user, service_tier, context_tier
);

DELETE FROM usage_hourly
WHERE hour >= (
    SELECT coalesce(max(calls_purged_before), TIMESTAMPTZ '-infinity') FROM retention_state
);
