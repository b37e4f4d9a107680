-- name: 23_safety_source
-- returns: table macros safety_verdicts_between(start_ts, end_ts) (one row per verdict that detected or filtered something, of a call in [start_ts, end_ts) whose filter_action is not none, with the call's hour, keys, weight and whether it is an incident), safety_heatmap_cells(start_ts, end_ts) and safety_category_cells(start_ts, end_ts) (those verdicts as the rows of safety_heatmap_hourly and safety_category_hourly, plus end_user_key), safety_fingerprints(start_ts, end_ts) (hour, usage_fp, verdict_fp of each whole hour that may have cells) and safety_stale_hours(start_ts, end_ts) (the hours to sum again: kept cells that do not answer, or no longer have a call)
-- params:
-- The Content safety page's verdict summary (056_safety_hourly.sql,
-- docs/decisions/0031-dashboard-pages-at-10m-calls.md). A call counts once per cell,
-- call_weight() times, as safety_heatmap.sql and safety_by_category.sql count it; so an
-- hour's cells add up with the other hours' to the range's. Keys are kept raw ('' for a
-- missing value): the registry and the tenant rules are applied when read, as they are to
-- usage_hourly. A verdict is written with its call's start time, or (merged from another
-- source's report of the call) within a day of it: a call's verdicts are read from a day
-- either side of the hours asked for, as the reports read them from a day around the range.
CREATE OR REPLACE MACRO safety_verdicts_between(start_ts, end_ts) AS TABLE
SELECT
    date_trunc('hour', c.start_time) AS hour,
    c.deployment,
    coalesce(c.model, '') AS model,
    coalesce(c.deployment_type, '') AS deployment_type,
    coalesce(c.tenant_id, '') AS tenant_id,
    coalesce(c.apim_subscription, '') AS apim_subscription,
    coalesce(c.service, '') AS service,
    tenant_key(used.end_user, c.end_user) AS end_user_key,
    c.call_id,
    call_weight(c.sample_weight) AS weight,
    c.filter_action IN ('blocked_prompt', 'filtered_completion') AS incident,
    r.target,
    r.category,
    coalesce(r.severity, 'detected') AS severity,
    coalesce(
        r.intervention_point, CASE r.target WHEN 'prompt' THEN 'user_input' ELSE 'output' END
    ) AS intervention_point,
    r.filtered,
    coalesce(r.detected, false) OR coalesce(r.severity, 'safe') <> 'safe' AS detected
FROM calls AS c
CROSS JOIN tenant_rule_kinds AS used
JOIN filter_results AS r
    ON r.call_id = c.call_id
    AND r.start_time >= start_ts - INTERVAL 1 day AND r.start_time < end_ts + INTERVAL 1 day
WHERE c.start_time >= start_ts AND c.start_time < end_ts
    -- A call with such a verdict is annotated, blocked or filtered.
    AND c.filter_action <> 'none'
    AND (r.filtered OR coalesce(r.detected, false) OR coalesce(r.severity, 'safe') <> 'safe');

-- Per hour, keys, prompt|completion, category and severity: the calls and those filtered.
CREATE OR REPLACE MACRO safety_heatmap_cells(start_ts, end_ts) AS TABLE
WITH hits AS (
    SELECT
        hour, deployment, model, deployment_type, tenant_id, apim_subscription, service,
        end_user_key, target, category, severity, call_id,
        any_value(weight) AS weight,
        bool_or(filtered) AS filtered
    FROM safety_verdicts_between(start_ts, end_ts)
    GROUP BY ALL
)
SELECT
    hour, deployment, model, deployment_type, tenant_id, apim_subscription, service,
    end_user_key, target, category, severity,
    weighted(sum(weight)) AS calls,
    weighted(sum(weight) FILTER (WHERE filtered)) AS filtered
FROM hits
GROUP BY ALL;

-- Per hour, keys, category and intervention point: the calls, those detected, those
-- filtered and those that were incidents (prompt blocked or completion filtered).
CREATE OR REPLACE MACRO safety_category_cells(start_ts, end_ts) AS TABLE
WITH hits AS (
    SELECT
        hour, deployment, model, deployment_type, tenant_id, apim_subscription, service,
        end_user_key, category, intervention_point, call_id,
        any_value(weight) AS weight,
        bool_or(detected) AS detected,
        bool_or(filtered) AS filtered,
        any_value(incident) AS incident
    FROM safety_verdicts_between(start_ts, end_ts)
    GROUP BY ALL
)
SELECT
    hour, deployment, model, deployment_type, tenant_id, apim_subscription, service,
    end_user_key, category, intervention_point,
    weighted(sum(weight)) AS calls,
    weighted(sum(weight) FILTER (WHERE detected)) AS detected,
    weighted(sum(weight) FILTER (WHERE filtered)) AS filtered,
    weighted(sum(weight) FILTER (WHERE incident)) AS incidents
FROM hits
GROUP BY ALL;

-- What an hour's cells are summed from, as two sums of hashes: usage_fp over its flagged
-- calls' keys in usage_hourly (weighted by their count; usage_hourly follows every insert,
-- merge, change in place and re-read of a call, and sums the same however its rows are
-- folded), verdict_fp over the verdicts written within a day of the hour (verdicts are
-- inserted and purged, never changed). Only the hours with a flagged call and a verdict
-- near them are listed: any other hour has no cells. [start_ts, end_ts) are whole hours.
CREATE OR REPLACE MACRO safety_fingerprints(start_ts, end_ts) AS TABLE
WITH flagged AS (
    SELECT
        hour,
        sum(CAST(hash(deployment, model, deployment_type, tenant_id, apim_subscription,
                      service, filter_action) AS HUGEINT) * requests) AS usage_fp
    FROM usage_hourly
    WHERE hour >= start_ts AND hour < end_ts AND filter_action <> 'none' AND requests > 0
    GROUP BY hour
),
verdicts AS (
    SELECT
        date_trunc('hour', start_time) AS verdict_hour,
        sum(CAST(hash(call_id, target, idx, category, severity, filtered, detected,
                      intervention_point) AS HUGEINT)) AS verdict_fp
    FROM filter_results
    WHERE start_time >= start_ts - INTERVAL 1 day AND start_time < end_ts + INTERVAL 1 day
    GROUP BY ALL
)
SELECT f.hour, any_value(f.usage_fp) AS usage_fp, sum(v.verdict_fp) AS verdict_fp
FROM flagged AS f
JOIN verdicts AS v
    ON v.verdict_hour >= f.hour - INTERVAL 1 day AND v.verdict_hour <= f.hour + INTERVAL 1 day
GROUP BY f.hour;

-- The hours of [start_ts, end_ts) (whole hours) to sum again: those that may have cells
-- and are not answered by kept ones, and those kept that no longer have any (a purge).
CREATE OR REPLACE MACRO safety_stale_hours(start_ts, end_ts) AS TABLE
SELECT coalesce(f.hour, s.hour) AS hour
FROM safety_fingerprints(start_ts, end_ts) AS f
FULL JOIN (SELECT * FROM safety_hours WHERE hour >= start_ts AND hour < end_ts) AS s
    ON s.hour = f.hour
WHERE s.hour IS NULL OR f.hour IS NULL
    OR s.usage_fp <> f.usage_fp OR s.verdict_fp <> f.verdict_fp;
