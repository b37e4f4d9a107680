-- name: 032_usage_hourly
-- returns: nothing (migration): the usage summary per UTC hour, with the counts the dashboard shows, in place of the daily one
-- params:
-- A summary kept beside the ledger so reports over whole hours read thousands of rows, not
-- millions. It holds tokens and counts, never money: cost stays a view over it and the
-- price book. '' stands for a missing value (primary key columns cannot be null). The store
-- adds each group commit's new calls to it, sums again the days of calls changed in place,
-- and rebuilds it when it no longer sums to the ledger (as it does after this migration).
CREATE TABLE usage_hourly (
    hour                 TIMESTAMPTZ NOT NULL,
    deployment           VARCHAR NOT NULL,
    model                VARCHAR NOT NULL,
    region               VARCHAR NOT NULL,
    deployment_type      VARCHAR NOT NULL,
    tenant_id            VARCHAR NOT NULL,
    apim_subscription    VARCHAR NOT NULL,
    service              VARCHAR NOT NULL,
    filter_action        VARCHAR NOT NULL,
    incident_end_user    VARCHAR NOT NULL,
    requests             BIGINT NOT NULL,
    errors               BIGINT NOT NULL,
    throttled            BIGINT NOT NULL,
    unknown_deployment   BIGINT NOT NULL,
    synthetic            BIGINT NOT NULL,
    input_tokens         BIGINT NOT NULL,
    cached_input_tokens  BIGINT NOT NULL,
    output_tokens        BIGINT NOT NULL,
    reasoning_tokens     BIGINT NOT NULL,
    PRIMARY KEY (
        hour, deployment, model, region, deployment_type, tenant_id, apim_subscription,
        service, filter_action, incident_end_user
    )
);

DROP TABLE usage_daily;
