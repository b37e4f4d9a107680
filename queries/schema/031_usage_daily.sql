-- name: 031_usage_daily
-- returns: nothing (migration): calls summed per UTC day and the keys pricing and tenant rules read
-- params:
-- A summary kept beside the ledger so reports over whole days read thousands of rows, not
-- millions. It holds tokens, never money: cost stays a view over it and the price book.
-- '' stands for a missing value (primary key columns cannot be null). The store adds each
-- group commit's new calls to it, and rebuilds it when it no longer sums to the ledger.
CREATE TABLE usage_daily (
    day                  DATE NOT NULL,
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
    input_tokens         BIGINT NOT NULL,
    cached_input_tokens  BIGINT NOT NULL,
    output_tokens        BIGINT NOT NULL,
    reasoning_tokens     BIGINT NOT NULL,
    PRIMARY KEY (
        day, deployment, model, region, deployment_type, tenant_id, apim_subscription,
        service, filter_action, incident_end_user
    )
);
