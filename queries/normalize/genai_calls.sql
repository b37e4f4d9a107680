-- name: genai_calls
-- returns: the canonical call columns (collectors/rows.py CALL_SCHEMA) of each call among the registered relation span_rows (genai_spans.sql's rows; one per request and call_id, the first sent), with request_no, r, s, i, problem (what makes the call impossible, or NULL) and verdicts (its strongest content-filter verdict per target, idx and category, in the order first reported: a list of target, idx, category, severity, filtered, detected), the verdict texts parsed in the registered parsed_verdicts (kind, text, position, strength and one verdict) and verdict_texts (kind, text, blocks, index_error)
-- params: $operation_names VARCHAR[], $error_names VARCHAR[], $error_statuses INTEGER[]
-- parsed_verdicts.strength orders verdicts: filtered, then severity, then detected.
-- Deployment, first match wins: azure.openai.deployment, a URL on the span, a URL on its
-- child HTTP span (the one that started last), the request model unless it is an
-- operation name (a client that names no model sends "chat"), else unknown.
WITH calls AS (
    SELECT * FROM span_rows WHERE kind = 'call'
    QUALIFY row_number() OVER (PARTITION BY request_no, call_id ORDER BY r, s, i) = 1
),
hints AS (
    SELECT
        hint_call_id AS call_id,
        arg_max(struct_pack(deployment := hint_deployment, api_version := hint_api_version,
                            endpoint := hint_endpoint, http_status := hint_http_status),
                coalesce(hint_start_time, TIMESTAMPTZ '1970-01-01 00:00:00+00')) AS hint
    FROM span_rows
    WHERE hint_call_id IS NOT NULL
    GROUP BY hint_call_id
),
-- Every verdict text of every call.
sources AS (
    SELECT request_no, call_id, unnest(verdict_texts, recursive := true)
    FROM calls
    WHERE len(verdict_texts) > 0
),
-- One verdict per (call, target, idx, category): the strongest (filtered, then severity,
-- then detected), among equals the first reported (content_filter.merge_filter_rows).
merged AS (
    SELECT
        s.request_no,
        s.call_id,
        v.target,
        coalesce(s.choice, v.idx) AS idx,
        v.category,
        arg_max(struct_pack(severity := v.severity, filtered := v.filtered,
                            detected := v.detected),
                v.strength * 65536 - s.ord * 4096 - v.position) AS verdict,
        min(s.ord * 4096 + v.position) AS seen
    FROM sources AS s
    JOIN parsed_verdicts AS v ON v.kind = s.kind AND v.text = s.text
    GROUP BY ALL
),
verdicts AS (
    SELECT
        request_no,
        call_id,
        list(struct_pack(target := target, idx := idx, category := category,
                         severity := verdict.severity, filtered := verdict.filtered,
                         detected := verdict.detected) ORDER BY seen) AS verdicts,
        bool_or(verdict.filtered AND target = 'prompt') AS prompt_filtered,
        bool_or(verdict.filtered AND target = 'completion') AS completion_filtered,
        bool_or(NOT verdict.filtered AND (coalesce(verdict.severity, 'safe') <> 'safe'
                                          OR verdict.detected IS TRUE)) AS annotated
    FROM merged
    GROUP BY ALL
),
-- What a text says besides verdicts: a prompt blocked, an index no column holds.
flags AS (
    SELECT
        s.request_no,
        s.call_id,
        bool_or(t.blocks) AS text_blocks,
        min(CASE WHEN t.index_error IS NOT NULL THEN
            CASE s.ord WHEN 3 THEN 'gen_ai.prompt.prompt_filter_results'
                       WHEN 4 THEN 'azure.openai.completion_filter_results'
                       ELSE 'azure.openai.prompt_filter_results' END
            || ': ' || t.index_error END) AS index_problem
    FROM sources AS s
    JOIN verdict_texts AS t ON t.kind = s.kind AND t.text = s.text
    GROUP BY ALL
),
joined AS (
    SELECT
        c.*,
        h.hint.deployment AS child_deployment,
        h.hint.api_version AS child_api_version,
        h.hint.endpoint AS child_endpoint,
        coalesce(c.explicit_status, h.hint.http_status) AS known_status,
        coalesce(c.blocked_attribute, false) OR coalesce(f.text_blocks, false) AS blocked,
        coalesce(c.problem, f.index_problem) AS call_problem,
        v.verdicts,
        coalesce(v.prompt_filtered, false) AS prompt_filtered,
        coalesce(v.completion_filtered, false) AS completion_filtered,
        coalesce(v.annotated, false) AS annotated,
        genai_error_name(c.error_type) AS error_name
    FROM calls AS c
    LEFT JOIN hints AS h ON h.call_id = c.call_id
    LEFT JOIN flags AS f ON f.request_no = c.request_no AND f.call_id = c.call_id
    LEFT JOIN verdicts AS v ON v.request_no = c.request_no AND v.call_id = c.call_id
),
judged AS (
    SELECT
        *,
        error_type IS NOT NULL OR coalesce(status_error, false) OR blocked
            OR coalesce(known_status >= 400, false) AS failed,
        request_model IS NOT NULL AND NOT list_contains($operation_names, lower(request_model))
            AS request_model_names_deployment
    FROM joined
)
SELECT
    request_no,
    r,
    s,
    i,
    call_problem AS problem,
    verdicts,
    call_id,
    source,
    trace_id,
    span_id,
    start_time,
    duration_ms,
    ttft_ms,
    operation,
    coalesce(endpoint, child_endpoint) AS endpoint,
    region,
    coalesce(named_deployment, url_deployment, child_deployment,
             CASE WHEN request_model_names_deployment THEN request_model END,
             'unknown') AS deployment,
    CASE WHEN named_deployment IS NOT NULL THEN 'attribute'
         WHEN url_deployment IS NOT NULL OR child_deployment IS NOT NULL THEN 'url_path'
         WHEN request_model_names_deployment THEN 'request_model'
         ELSE 'unknown' END AS deployment_source,
    model,
    request_model,
    provider,
    coalesce(api_version, child_api_version) AS api_version,
    deployment_type,
    tenant_id,
    end_user,
    service,
    CASE WHEN failed THEN 'error' ELSE 'ok' END AS status,
    CASE WHEN known_status IS NOT NULL THEN known_status
         WHEN regexp_full_match(error_name, '[0-9]{3}') THEN CAST(error_name AS INTEGER)
         WHEN list_contains($error_names, error_name)
             THEN $error_statuses[list_position($error_names, error_name)]
         WHEN blocked THEN 400
         WHEN NOT failed THEN 200 END AS http_status,
    error_type,
    input_tokens,
    cached_input_tokens,
    output_tokens,
    reasoning_tokens,
    finish_reason,
    CASE WHEN blocked OR prompt_filtered THEN 'blocked_prompt'
         WHEN completion_filtered OR finish_content_filter THEN 'filtered_completion'
         WHEN annotated THEN 'annotated'
         ELSE 'none' END AS filter_action,
    response_id,
    attributes,
    apim_subscription,
    request_id
FROM judged
ORDER BY request_no, r, s, i, call_id
