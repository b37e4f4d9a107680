-- name: 007_log_analytics
-- returns: nothing (migration): Log Analytics pull state and log, resource metric totals, hourly usage rollups
-- params:
CREATE TABLE source_state (
    source           VARCHAR PRIMARY KEY,   -- app_insights | apim | azure_diagnostics | azure_metrics
    watermark        TIMESTAMPTZ,           -- everything before it is stored (minus late rows)
    last_attempt_at  TIMESTAMPTZ,
    last_success_at  TIMESTAMPTZ,
    last_error       VARCHAR,               -- NULL once a pull succeeds again
    last_error_hint  VARCHAR,
    last_error_at    TIMESTAMPTZ
);

CREATE TABLE source_pulls (
    source        VARCHAR NOT NULL,
    pulled_at     TIMESTAMPTZ NOT NULL,
    slice_start   TIMESTAMPTZ NOT NULL,
    slice_end     TIMESTAMPTZ NOT NULL,
    outcome       VARCHAR NOT NULL,         -- ok | partial | failed
    rows_read     BIGINT NOT NULL,
    rows_stored   BIGINT NOT NULL,          -- new calls, merged calls and refreshed calls
    seconds       DOUBLE NOT NULL,
    error         VARCHAR
);

CREATE TABLE resource_metrics (
    resource     VARCHAR NOT NULL,          -- Azure resource name, lower case
    minute       TIMESTAMPTZ NOT NULL,
    metric       VARCHAR NOT NULL,          -- ProcessedPromptTokens, GeneratedTokens, ...
    total        DOUBLE NOT NULL,
    PRIMARY KEY (resource, minute, metric)
);

CREATE TABLE usage_rollups (
    source               VARCHAR NOT NULL,  -- loganalytics:apim, ...
    hour                 TIMESTAMPTZ NOT NULL,
    deployment           VARCHAR NOT NULL,
    model                VARCHAR,
    endpoint             VARCHAR,
    region               VARCHAR,
    tenant_id            VARCHAR,
    apim_subscription    VARCHAR,
    status               VARCHAR NOT NULL,
    requests             BIGINT NOT NULL,
    input_tokens         BIGINT NOT NULL,
    cached_input_tokens  BIGINT NOT NULL,
    output_tokens        BIGINT NOT NULL,
    reasoning_tokens     BIGINT NOT NULL
);
