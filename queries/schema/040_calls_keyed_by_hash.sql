-- name: 040_calls_keyed_by_hash
-- returns: nothing (migration): calls without the index on call_id, with call_key (the low 64 bits of md5(call_id)) to find one call by id; call_hints, what child HTTP spans said of a call not stored yet
-- params:
-- The primary key's index on call_id cost more than the rest of a write together (about
-- 30 us a call at a million stored calls, growing with the ledger) and its memory grew
-- with every call. Writes now find stored calls by call_key within the time window of
-- their batch (a re-sent span keeps its start time; zone maps skip other row groups), and
-- one call's page scans call_key, 8 bytes a call (docs/decisions/0004-one-ingest-shape.md).
-- The calls are copied in start-time order, so the zone maps of old ledgers work too.
CREATE TABLE calls_keyed (
    call_id              VARCHAR NOT NULL,
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
    ingested_at          TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    apim_subscription    VARCHAR,
    request_id           VARCHAR,
    also_seen_by         VARCHAR[],
    call_key             UBIGINT NOT NULL
);

INSERT INTO calls_keyed
SELECT *, md5_number_lower(call_id) AS call_key
FROM calls
ORDER BY start_time;

DROP TABLE calls;

ALTER TABLE calls_keyed RENAME TO calls;

CREATE TABLE call_hints (
    call_id      VARCHAR NOT NULL,   -- the model call the child span belongs to
    start_time   TIMESTAMPTZ,        -- the child's start
    deployment   VARCHAR NOT NULL,
    api_version  VARCHAR,
    endpoint     VARCHAR,
    http_status  INTEGER,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
