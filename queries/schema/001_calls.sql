-- name: 001_calls
-- returns: nothing (migration): the canonical call ledger and content-filter verdicts
-- params:
CREATE TABLE calls (
    call_id              VARCHAR PRIMARY KEY,
    source               VARCHAR NOT NULL,
    trace_id             VARCHAR,
    span_id              VARCHAR,
    start_time           TIMESTAMPTZ NOT NULL,
    duration_ms          DOUBLE,
    ttft_ms              DOUBLE,
    operation            VARCHAR NOT NULL,
    endpoint             VARCHAR,
    region               VARCHAR,
    deployment           VARCHAR NOT NULL,
    deployment_source    VARCHAR NOT NULL,
    model                VARCHAR,
    request_model        VARCHAR,
    provider             VARCHAR,
    api_version          VARCHAR,
    deployment_type      VARCHAR,
    tenant_id            VARCHAR,
    end_user             VARCHAR,
    service              VARCHAR,
    status               VARCHAR NOT NULL,
    http_status          INTEGER,
    error_type           VARCHAR,
    input_tokens         BIGINT,
    cached_input_tokens  BIGINT,
    output_tokens        BIGINT,
    reasoning_tokens     BIGINT,
    finish_reason        VARCHAR,
    filter_action        VARCHAR NOT NULL,
    response_id          VARCHAR,
    attributes           JSON,
    ingested_at          TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE TABLE filter_results (
    call_id   VARCHAR NOT NULL,
    target    VARCHAR NOT NULL,
    idx       INTEGER NOT NULL,
    category  VARCHAR NOT NULL,
    severity  VARCHAR,
    filtered  BOOLEAN NOT NULL,
    detected  BOOLEAN
    -- No primary key: verdicts are written only with their call's first insert (the
    -- writer keeps the rows of calls that INSERT OR IGNORE actually inserted), which keeps
    -- them idempotent without a four-column index on every write.
);

CREATE TABLE ingest_log (
    received_at  TIMESTAMPTZ NOT NULL,
    source       VARCHAR NOT NULL,
    calls        BIGINT NOT NULL,
    rejected     BIGINT NOT NULL
);
