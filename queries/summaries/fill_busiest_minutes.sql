-- name: fill_busiest_minutes
-- returns: nothing; the busiest minute of the given hours and deployments ($hours[i] with $deployments[i]) summed from their calls into busiest_minutes, with the hour's requests and tokens in the usage summary now (after clear_busiest_minutes); $first and $last + 1 hour bound the hours
-- params: $hours TIMESTAMPTZ[], $deployments VARCHAR[], $first TIMESTAMPTZ, $last TIMESTAMPTZ
-- A minute's tokens are its calls' input + output tokens weighted by call_weight(), as
-- deployment_stats_from_sketches.sql and deployment_stats.sql sum them; requests and tokens
-- as the former sums the hour from usage_source(). An hour without a call (purged) is not
-- kept.
INSERT INTO busiest_minutes BY NAME
WITH pairs AS (
    SELECT unnest($hours) AS hour, unnest($deployments) AS deployment
),
usage AS (
    SELECT
        u.hour,
        u.deployment,
        sum(u.requests) AS requests,
        sum(u.input_tokens + u.output_tokens) AS tokens
    FROM usage_source($first, $last + INTERVAL 1 hour, false) AS u
    SEMI JOIN pairs AS p ON p.hour = u.hour AND p.deployment = u.deployment
    WHERE u.call_id IS NULL OR NOT starts_with(u.call_id, 'rollup:')
    GROUP BY ALL
),
per_minute AS (
    SELECT
        date_trunc('hour', c.start_time) AS hour,
        c.deployment,
        epoch_us(c.start_time) // 60000000 AS minute,
        sum((coalesce(c.input_tokens, 0) + coalesce(c.output_tokens, 0))
            * call_weight(c.sample_weight)) AS tokens
    FROM calls AS c
    SEMI JOIN pairs AS p
        ON p.hour = date_trunc('hour', c.start_time) AND p.deployment = c.deployment
    WHERE c.start_time >= $first AND c.start_time < $last + INTERVAL 1 hour
    GROUP BY ALL
)
SELECT u.hour, u.deployment, u.requests, u.tokens, max(m.tokens) AS peak_tokens
FROM usage AS u
JOIN per_minute AS m USING (hour, deployment)
GROUP BY ALL;
