-- name: 057_deployment_summaries
-- returns: nothing (migration): the Deployments page's summaries of sealed hours, kept by its reads: busiest_minutes (each deployment's busiest minute of an hour, with the usage it was summed at) and latency_periods (p50 and p95 latency of a chart bucket of whole hours per deployment, with the sketch it was read from)
-- params:
-- Over ranges longer than 14 days the Deployments page finds each deployment's busiest hour
-- in the hourly usage summary and its busiest minute in that hour's calls; finding those
-- calls tested every call of the range (10M at 90 days). busiest_minutes keeps, per whole
-- UTC hour and deployment, the input + output tokens of its busiest minute (over all of its
-- calls, so it answers a scope that chooses deployments only). A row is used only while the
-- hour's requests and tokens in the usage summary equal those it was summed at.
-- p95 over time in 6-hour or daily buckets sorted the sketch's counts of every bucket
-- (277k groups from 2.6M hourly rows at 30 days); latency_periods keeps each sealed
-- bucket's answer per deployment, used only while the bucket's count of durations and a
-- sum of hashes of its sketch buckets equal those it was read at.
-- Nothing writes either table in a group commit: the page's reads keep what they read once
-- it is sealed (docs/decisions/0034-busiest-minutes-of-sealed-hours.md).
CREATE TABLE busiest_minutes (
    hour         TIMESTAMPTZ NOT NULL,
    deployment   VARCHAR NOT NULL,
    requests     HUGEINT NOT NULL,
    tokens       HUGEINT,
    peak_tokens  HUGEINT NOT NULL,
    PRIMARY KEY (hour, deployment)
);

CREATE TABLE latency_periods (
    hours         INTEGER NOT NULL,
    period        TIMESTAMPTZ NOT NULL,
    deployment    VARCHAR NOT NULL,
    calls         BIGINT NOT NULL,
    durations_fp  HUGEINT NOT NULL,
    p50_ms        DOUBLE,
    p95_ms        DOUBLE,
    PRIMARY KEY (hours, period, deployment)
);
