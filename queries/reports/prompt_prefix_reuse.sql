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
WITH hashed AS (
    SELECT
        c.deployment,
        c.start_time,
        call_weight(c.sample_weight) AS weight,
        coalesce(c.input_tokens, 0) AS input_tokens,
        coalesce(c.cached_input_tokens, 0) AS cached_input_tokens,
        json_extract_string(c.attributes, '$."azure.openai.prompt_prefix_hash"') AS prefix_hash
    FROM calls AS c
    WHERE c.start_time >= $start AND c.start_time < $end
),
ranked AS (
    SELECT
        *,
        CASE WHEN prefix_hash IS NULL THEN NULL ELSE row_number() OVER (
            PARTITION BY deployment, prefix_hash ORDER BY start_time
        ) END AS nth
    FROM hashed
)
SELECT
    deployment,
    CAST(sum(weight) AS BIGINT) AS calls,
    CAST(coalesce(sum(weight) FILTER (WHERE input_tokens >= $prefix_tokens), 0) AS BIGINT)
        AS long_calls,
    CAST(coalesce(sum(weight) FILTER (WHERE prefix_hash IS NOT NULL), 0) AS BIGINT)
        AS hashed_calls,
    -- A repeat: a later call of a hash, and every call a sampled row stands for but one.
    CAST(coalesce(sum(CASE WHEN nth = 1 THEN weight - 1 ELSE weight END)
        FILTER (WHERE prefix_hash IS NOT NULL AND input_tokens >= $prefix_tokens), 0) AS BIGINT)
        AS repeat_calls,
    CAST(sum(input_tokens * weight) AS BIGINT) AS input_tokens,
    CAST(sum(cached_input_tokens * weight) AS BIGINT) AS cached_input_tokens,
    CAST(coalesce(sum(
        greatest(0, $prefix_tokens - cached_input_tokens)
        * CASE WHEN nth = 1 THEN weight - 1 ELSE weight END
    ) FILTER (WHERE prefix_hash IS NOT NULL AND input_tokens >= $prefix_tokens), 0) AS BIGINT)
        AS cacheable_tokens
FROM ranked
GROUP BY deployment
ORDER BY deployment;
