-- name: calls_search
-- returns: call_id, start_time, tenant_id, deployment, model, operation, end_user, status, http_status, finish_reason, filter_action, duration_ms, input_tokens, output_tokens, trace_id (one row per matching call, newest first, at most $limit)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $id_prefix VARCHAR, $end_user VARCHAR, $status VARCHAR, $finish_reason VARCHAR, $unpriced BOOLEAN, $unpriced_from TIMESTAMPTZ, $limit INTEGER
-- $id_prefix matches the start of a call id, trace id or response id ('' = any); the other
-- search values match exactly ('' = any). All compare as given: no pattern characters.
-- $unpriced keeps only calls with tokens and no price: no per-token price, or served by a
-- provisioned deployment whose capacity has none (unpriced_usage(), which
-- pricing_coverage.sql counts by). Only the calls from $unpriced_from (>= $start) are priced
-- and searched for them: the newest $limit unpriced calls of the range when at least $limit
-- match from there, else all those from there (queries/calls.py widens it to $start then).
-- $unpriced_from is not read for other searches.
-- With nothing to search for and no filter chosen, the newest $limit calls are read from the
-- latest whole hour after which the hourly summary holds at least $limit rows: each row
-- stands for at least one call of its hour, so that hour's start is a lower bound for the
-- $limit-th newest call, and the scan stops there instead of reading the range.
WITH since AS (
    SELECT coalesce(
        max(hour) FILTER (
            WHERE rows_since >= $limit
                AND len($tenants) + len($deployments) + len($models) + len($types)
                    + len($services) = 0
                AND $id_prefix = '' AND $end_user = '' AND $status = ''
                AND $finish_reason = '' AND NOT $unpriced
        ),
        $start
    ) AS cutoff
    FROM (
        SELECT hour, sum(count(*)) OVER (ORDER BY hour DESC) AS rows_since
        FROM usage_hourly
        -- Whole hours inside [$start, $end) only: every call they count is in the range.
        WHERE hour >= date_trunc('hour', $start - INTERVAL 1 microsecond) + INTERVAL 1 hour
            AND hour < date_trunc('hour', $end)
            AND requests > 0
        GROUP BY hour
    )
),
unpriced AS (
    -- Each call from $unpriced_from priced on its own: a price group may hold calls with
    -- and without output tokens, so not every call of an unpriced group is unpriced.
    SELECT c.call_id
    FROM costed_usage($unpriced_from, $end, true) AS c
    WHERE $unpriced
        AND unpriced_usage(c.input_tokens + c.output_tokens, c.priced, c.billing, c.deployment)
),
newest AS (
    -- The matching calls' ids first, reading only the columns the search compares.
    SELECT call_id, start_time
    FROM filtered_calls($start, $end, $tenants, $deployments, $models, $types, $services)
    WHERE ($id_prefix = ''
            OR starts_with(call_id, lower($id_prefix))
            OR starts_with(trace_id, lower($id_prefix))
            OR starts_with(response_id, $id_prefix))
        AND ($end_user = '' OR end_user = $end_user)
        AND ($status = '' OR status = $status)
        AND ($finish_reason = '' OR finish_reason = $finish_reason)
        AND (NOT $unpriced OR (
            start_time >= $unpriced_from AND call_id IN (SELECT call_id FROM unpriced)
        ))
        -- (Not tested at all for the unpriced calls: their bound is $unpriced_from, a value,
        -- so the scan reads only its row groups.)
        AND ($unpriced OR start_time >= (SELECT cutoff FROM since))
    ORDER BY start_time DESC, call_id
    LIMIT $limit
),
found AS (
    -- Then their rows: joined on start_time too, so the scan reads only the row groups of
    -- the newest calls' times.
    SELECT c.*
    FROM call_keys AS c
    JOIN newest AS n USING (call_id, start_time)
)
SELECT
    f.call_id, f.start_time, t.tenant_id, f.deployment, f.model, f.operation, f.end_user,
    f.status, f.http_status, f.finish_reason, f.filter_action, f.duration_ms, f.input_tokens,
    f.output_tokens, f.trace_id
FROM found AS f
JOIN tenant_keys_between($start, $end) AS t
    USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
ORDER BY f.start_time DESC, f.call_id;
