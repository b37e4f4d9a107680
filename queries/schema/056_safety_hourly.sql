-- name: 056_safety_hourly
-- returns: nothing (migration): the Content safety page's verdict summary of sealed hours: safety_hours (the fingerprints each summarised hour was summed at), safety_heatmap_hourly and safety_category_hourly (its cells)
-- params:
-- The heat map and the verdicts by category read every call's verdicts over the range; over
-- 90 days that is a join of millions of calls. These tables keep, per whole UTC hour, the
-- cells those reports sum, per call keys the dashboard filters on ('' for a missing value),
-- so a report reads thousands of rows instead. Nothing writes them in a group commit: the
-- reports sum hours not yet summarised from the calls and keep those that are sealed
-- (docs/decisions/0031-dashboard-pages-at-10m-calls.md). An hour's rows are used only while
-- the fingerprints kept in safety_hours equal those of the ledger now (the summary's
-- flagged calls and the verdicts within a day of the hour), so a late call, a late verdict
-- or a purge sends the hour back to the calls until it is summed again.
CREATE TABLE safety_hours (
    hour        TIMESTAMPTZ PRIMARY KEY,
    usage_fp    HUGEINT NOT NULL,
    verdict_fp  HUGEINT NOT NULL
);

CREATE TABLE safety_heatmap_hourly (
    hour               TIMESTAMPTZ NOT NULL,
    deployment         VARCHAR NOT NULL,
    model              VARCHAR NOT NULL,
    deployment_type    VARCHAR NOT NULL,
    tenant_id          VARCHAR NOT NULL,
    apim_subscription  VARCHAR NOT NULL,
    service            VARCHAR NOT NULL,
    target             VARCHAR NOT NULL,
    category           VARCHAR NOT NULL,
    severity           VARCHAR NOT NULL,
    calls              BIGINT NOT NULL,
    filtered           BIGINT NOT NULL
);

CREATE TABLE safety_category_hourly (
    hour                TIMESTAMPTZ NOT NULL,
    deployment          VARCHAR NOT NULL,
    model               VARCHAR NOT NULL,
    deployment_type     VARCHAR NOT NULL,
    tenant_id           VARCHAR NOT NULL,
    apim_subscription   VARCHAR NOT NULL,
    service             VARCHAR NOT NULL,
    category            VARCHAR NOT NULL,
    intervention_point  VARCHAR NOT NULL,
    calls               BIGINT NOT NULL,
    detected            BIGINT NOT NULL,
    filtered            BIGINT NOT NULL,
    incidents           BIGINT NOT NULL
);
