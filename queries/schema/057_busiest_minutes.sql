-- name: 057_busiest_minutes
-- returns: nothing (migration): busiest_minutes, the Deployments page's busiest minute of sealed hours per deployment, with the usage it was summed at
-- params:
-- Over ranges longer than 14 days the Deployments page finds each deployment's busiest hour
-- in the hourly usage summary and its busiest minute in that hour's calls; finding those
-- calls tested every call of the range (10M at 90 days). This table keeps, per whole UTC
-- hour and deployment, the input + output tokens of its busiest minute (over all of its
-- calls, so it answers a scope that chooses deployments only). Nothing writes it in a group
-- commit: the page's read keeps the busiest hours it asks for once they are sealed
-- (docs/decisions/0034-busiest-minutes-of-sealed-hours.md). A row is used only while the
-- hour's requests and tokens in the usage summary equal those it was summed at, so a late
-- or changed call sends the hour back to the calls until it is summed again.
CREATE TABLE busiest_minutes (
    hour         TIMESTAMPTZ NOT NULL,
    deployment   VARCHAR NOT NULL,
    requests     HUGEINT NOT NULL,
    tokens       HUGEINT,
    peak_tokens  HUGEINT NOT NULL,
    PRIMARY KEY (hour, deployment)
);
