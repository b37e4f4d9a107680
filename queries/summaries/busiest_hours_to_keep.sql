-- name: busiest_hours_to_keep
-- returns: hours, deployments (each deployment's busiest hour of [$start, $end) that busiest_minutes can keep and does not answer now, as two lists in the same order), calls_from (the earliest busiest hour with calls it can neither answer nor keep, else $end), calls_from_unkept (the same with the hours to keep counted in, for a read that keeps nothing) (one row)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $deployments VARCHAR[], $sealed_before TIMESTAMPTZ
-- For a scope that chooses deployments only (no tenant, model, deployment type or service):
-- the busiest hours as deployment_stats_from_sketches.sql finds them (the hourly usage
-- summary's input + output tokens, among the hours retention left calls of, after
-- calls_kept_from(); on a tie the latest hour), judged as it judges them. A kept row
-- answers a whole hour of the range after calls_kept_from() while the hour's requests and
-- tokens equal those it was summed at; an hour is kept once it ended before $sealed_before
-- (late calls are written within a day). The others are read from the calls, from
-- calls_from on.
WITH per_hour AS (
    SELECT
        u.deployment,
        u.hour,
        sum(u.requests) AS requests,
        sum(u.input_tokens + u.output_tokens) AS tokens
    FROM usage_source($start, $end, false) AS u
    WHERE (u.call_id IS NULL OR NOT starts_with(u.call_id, 'rollup:'))
        AND keeps($deployments, u.deployment)
    GROUP BY ALL
),
busiest_hour AS (
    SELECT deployment, arg_max(hour, {'tokens': tokens, 'hour': hour}) AS hour
    FROM per_hour
    WHERE hour + INTERVAL 1 hour > calls_kept_from()
    GROUP BY ALL
),
judged AS (
    SELECT
        b.deployment,
        b.hour,
        b.hour >= $start AND b.hour + INTERVAL 1 hour <= $end AND b.hour >= calls_kept_from()
            AS whole,
        coalesce(k.requests = p.requests AND k.tokens IS NOT DISTINCT FROM p.tokens, false)
            AS answered
    FROM busiest_hour AS b
    JOIN per_hour AS p USING (deployment, hour)
    LEFT JOIN busiest_minutes AS k USING (deployment, hour)
),
to_keep AS (
    SELECT *, whole AND NOT answered AND hour < $sealed_before AS keep FROM judged
)
SELECT
    coalesce(list(hour ORDER BY hour, deployment) FILTER (WHERE keep), CAST([] AS TIMESTAMPTZ[]))
        AS hours,
    coalesce(list(deployment ORDER BY hour, deployment) FILTER (WHERE keep), CAST([] AS VARCHAR[]))
        AS deployments,
    coalesce(min(hour) FILTER (WHERE NOT (whole AND answered) AND NOT keep), $end) AS calls_from,
    coalesce(min(hour) FILTER (WHERE NOT (whole AND answered)), $end) AS calls_from_unkept
FROM to_keep;
