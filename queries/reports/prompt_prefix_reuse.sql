-- name: prompt_prefix_reuse
-- returns: deployment, calls, long_calls, hashed_calls, repeat_calls, input_tokens, cached_input_tokens, cacheable_tokens (one row per deployment with calls in [$start, $end))
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $prefix_tokens BIGINT
-- How much of each deployment's input could be served from Azure's prompt cache. A call
-- whose client sent the span attribute azure.openai.prompt_prefix_hash (a keyed hash of
-- its prompt's first ~1,024 tokens) shares a long prefix with the calls of the same hash;
-- every such call but the first of its hash in the range is a repeat, and its first
-- $prefix_tokens input tokens not already cached are cacheable. long_calls: calls with at
-- least $prefix_tokens input tokens (Azure caches only from 1,024 tokens on). Counts and
-- tokens are weighted by sample_weight.
WITH window_calls AS (
    SELECT
        c.deployment,
        c.start_time,
        call_weight(c.sample_weight) AS weight,
        coalesce(c.input_tokens, 0) AS input_tokens,
        coalesce(c.cached_input_tokens, 0) AS cached_input_tokens,
        c.attributes
    FROM calls AS c
    WHERE c.start_time >= $start AND c.start_time < $end
),
totals AS (
    SELECT
        deployment,
        sum(weight) AS calls,
        coalesce(sum(weight) FILTER (WHERE input_tokens >= $prefix_tokens), 0) AS long_calls,
        sum(input_tokens * weight) AS input_tokens,
        sum(cached_input_tokens * weight) AS cached_input_tokens
    FROM window_calls
    GROUP BY deployment
),
-- JSON is parsed only where the text names the attribute: most calls do not.
hashed AS (
    SELECT
        deployment, start_time, weight, input_tokens, cached_input_tokens,
        json_extract_string(attributes, '$."azure.openai.prompt_prefix_hash"') AS prefix_hash
    FROM window_calls
    WHERE contains(CAST(attributes AS VARCHAR), 'azure.openai.prompt_prefix_hash')
),
-- Per prefix: its calls, and the cacheable tokens of all of them less the first's (the
-- first of a prefix in the range is not a repeat; every call a sampled row stands for
-- but one is).
prefixes AS (
    SELECT
        deployment,
        sum(weight) AS hashed_calls,
        sum(weight) FILTER (WHERE input_tokens >= $prefix_tokens) AS long_calls,
        sum(greatest(0, $prefix_tokens - cached_input_tokens) * weight)
            FILTER (WHERE input_tokens >= $prefix_tokens) AS long_tokens,
        arg_min(CASE WHEN input_tokens >= $prefix_tokens
                THEN greatest(0, $prefix_tokens - cached_input_tokens) ELSE 0 END, start_time)
            AS first_tokens,
        arg_min(input_tokens >= $prefix_tokens, start_time) AS first_long
    FROM hashed
    WHERE prefix_hash IS NOT NULL
    GROUP BY deployment, prefix_hash
),
reuse AS (
    SELECT
        deployment,
        sum(hashed_calls) AS hashed_calls,
        sum(coalesce(long_calls, 0) - CASE WHEN first_long THEN 1 ELSE 0 END) AS repeat_calls,
        sum(coalesce(long_tokens, 0) - first_tokens) AS cacheable_tokens
    FROM prefixes
    GROUP BY deployment
)
SELECT
    t.deployment,
    CAST(t.calls AS BIGINT) AS calls,
    CAST(t.long_calls AS BIGINT) AS long_calls,
    CAST(coalesce(r.hashed_calls, 0) AS BIGINT) AS hashed_calls,
    CAST(coalesce(r.repeat_calls, 0) AS BIGINT) AS repeat_calls,
    CAST(t.input_tokens AS BIGINT) AS input_tokens,
    CAST(t.cached_input_tokens AS BIGINT) AS cached_input_tokens,
    CAST(coalesce(r.cacheable_tokens, 0) AS BIGINT) AS cacheable_tokens
FROM totals AS t
LEFT JOIN reuse AS r USING (deployment)
ORDER BY t.deployment;
