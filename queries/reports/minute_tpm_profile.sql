-- name: minute_tpm_profile
-- returns: deployment, hour_of_day (NULL: all hours), active_minutes, peak_tpm, p95_tpm, p50_tpm, input_tpm_p95, output_tpm_p95, converted_tokens, first_minute, last_minute (one row per deployment of the registered relation ptu_ratios(deployment, output_ratio), and per deployment x UTC hour of day, over the calls in [$start, $end))
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
-- The tokens-per-minute profile PTU sizing reads: each minute's input-equivalent tokens
-- (Microsoft's sizing: uncached input + output ratio x output, so the minute's own cache
-- rate is in it), then, over the minutes that had calls, the busiest minute, the 95th and
-- the 50th percentile; per UTC hour of day too. Read from the calls (the hourly summary is
-- too coarse for minutes), each counted sample_weight times.
WITH minutes AS (
    -- Minutes as whole numbers since the epoch (UTC): date_trunc on a TIMESTAMPTZ goes
    -- through the time zone calendar, far slower on millions of calls.
    SELECT
        c.deployment,
        epoch_us(c.start_time) // 60000000 AS minute,
        sum((coalesce(c.input_tokens, 0) - coalesce(c.cached_input_tokens, 0))
            * call_weight(c.sample_weight)) AS uncached_input,
        sum(coalesce(c.input_tokens, 0) * call_weight(c.sample_weight)) AS input,
        sum(coalesce(c.output_tokens, 0) * call_weight(c.sample_weight)) AS output
    FROM calls AS c
    WHERE c.start_time >= $start AND c.start_time < $end
        AND c.deployment IN (SELECT deployment FROM ptu_ratios)
    GROUP BY ALL
),
converted AS (
    SELECT
        m.deployment, m.minute, CAST(m.minute // 60 % 24 AS INTEGER) AS hour_of_day,
        m.input, m.output,
        m.uncached_input + r.output_ratio * m.output AS tpm
    FROM minutes AS m
    JOIN ptu_ratios AS r USING (deployment)
)
SELECT
    deployment,
    hour_of_day,
    count(*) AS active_minutes,
    CAST(max(tpm) AS DOUBLE) AS peak_tpm,
    CAST(quantile_cont(tpm, 0.95) AS DOUBLE) AS p95_tpm,
    CAST(quantile_cont(tpm, 0.5) AS DOUBLE) AS p50_tpm,
    CAST(quantile_cont(input, 0.95) AS DOUBLE) AS input_tpm_p95,
    CAST(quantile_cont(output, 0.95) AS DOUBLE) AS output_tpm_p95,
    CAST(sum(tpm) AS DOUBLE) AS converted_tokens,
    make_timestamptz(min(minute) * 60000000) AS first_minute,
    make_timestamptz(max(minute) * 60000000) AS last_minute
FROM converted
GROUP BY GROUPING SETS ((deployment), (deployment, hour_of_day))
ORDER BY deployment, hour_of_day NULLS FIRST;
