-- name: genai_spans
-- returns: one row per row of the registered relation genai_spans (collectors/otlp/flatten.py SPAN_SCHEMA, or Application Insights rows in that shape): what the GenAI rules read from it; kind is call, no_start, implausible, other_operation or not_genai; a call's columns, its verdict texts and the problem that makes it impossible; a not_genai span with a deployment URL under a parent gives hint_* columns for that parent
-- params: $source VARCHAR, $read_as_text VARCHAR, $credential_keys VARCHAR, $secret_query VARCHAR, $operation_names VARCHAR[], $operations VARCHAR[], $max_tokens BIGINT
-- The GenAI attribute rules of every source, defined once (docs/attributes.md): the span
-- semantic conventions old and new, openai-v2, OpenLLMetry, OpenInference and our
-- azure.openai.* attributes. Attribute values are read as text ($read_as_text is the
-- json_transform structure of every name read, collectors/genai/attributes.py), so the
-- typed values of OTLP and the text values of Application Insights read alike.
WITH cells AS (
    SELECT *, json_transform(read, $read_as_text) AS p
    FROM genai_spans
),
named AS (
    SELECT
        *,
        nullif(p."gen_ai.operation.name", '') AS operation_name,
        lower(nullif(p."openinference.span.kind", '')) AS openinference_kind,
        coalesce(nullif(p."gen_ai.provider.name", ''), nullif(p."gen_ai.system", ''))
            AS genai_provider,
        coalesce(nullif(p."gen_ai.provider.name", ''), nullif(p."gen_ai.system", ''),
                 nullif(p."llm.provider", ''), nullif(p."llm.system", '')) AS provider_name,
        nullif(p."gen_ai.request.model", '') AS genai_request_model,
        -- OpenInference: the request's parameters, whose model is the deployment asked for.
        nullif(json_extract_string(TRY_CAST(coalesce(p."llm.invocation_parameters",
            p."embedding.invocation_parameters") AS JSON), '$.model'), '') AS invoked_model,
        coalesce(nullif(p."url.full", ''), nullif(p."http.url", ''),
                 nullif(p."gen_ai.openai.api_base", ''), nullif(p."url.path", ''),
                 nullif(p."http.target", '')) AS url
    FROM cells
),
classified AS (
    SELECT
        *,
        CASE
            WHEN operation_name IS NOT NULL
                THEN map($operation_names, $operations)[lower(operation_name)]
            WHEN openinference_kind = 'embedding' THEN 'embeddings'
            WHEN openinference_kind = 'llm'
                THEN CASE WHEN name = 'Completion' THEN 'text_completion' ELSE 'chat' END
            WHEN genai_provider IS NOT NULL AND genai_request_model IS NOT NULL THEN coalesce(
                map($operation_names, $operations)[lower(nullif(p."llm.request.type", ''))],
                lower(nullif(p."llm.request.type", '')),
                map($operation_names, $operations)[
                    lower(list_last(string_split(split_part(name, ' ', 1), '.')))],
                'unknown')
            -- Application Insights says so by the dependency type, properties or not.
            WHEN genai_hint AND openinference_kind IS NULL THEN coalesce(
                map($operation_names, $operations)[
                    lower(list_last(string_split(split_part(name, ' ', 1), '.')))],
                'unknown')
        END AS operation,
        regexp_extract(url, '/openai/deployments/([^/?#]+)', 1) AS url_deployment_raw,
        regexp_extract(url, '[?&]api-version=([^&#]+)', 1) AS url_api_version_raw
    FROM named
),
kinds AS (
    SELECT
        *,
        CASE
            WHEN operation IS NOT NULL THEN CASE start_state WHEN 0 THEN 'call'
                                                             WHEN 1 THEN 'no_start'
                                                             ELSE 'implausible' END
            WHEN operation_name IS NOT NULL THEN 'other_operation'
            WHEN openinference_kind IS NOT NULL THEN 'other_operation'
            ELSE 'not_genai'
        END AS kind,
        left(nullif(url_decode(url_deployment_raw), ''), 512) AS url_deployment,
        left(nullif(url_decode(url_api_version_raw), ''), 512) AS url_api_version,
        CASE WHEN contains(url, '://') THEN left(url_host(url), 512) END AS url_host_name,
        genai_status(p."http.response.status_code", p."http.status_code") AS explicit_status,
        -- Each token count: the first spelling present; a value that is not a count is a
        -- problem (OTLP refuses the span; a pull stores the call without it).
        coalesce(p."gen_ai.usage.input_tokens", p."gen_ai.usage.prompt_tokens",
                 p."llm.token_count.prompt") AS input_text,
        CASE WHEN p."gen_ai.usage.input_tokens" IS NOT NULL THEN 'gen_ai.usage.input_tokens'
             WHEN p."gen_ai.usage.prompt_tokens" IS NOT NULL THEN 'gen_ai.usage.prompt_tokens'
             ELSE 'llm.token_count.prompt' END AS input_name,
        coalesce(p."gen_ai.usage.output_tokens", p."gen_ai.usage.completion_tokens",
                 p."llm.token_count.completion") AS output_text,
        CASE WHEN p."gen_ai.usage.output_tokens" IS NOT NULL THEN 'gen_ai.usage.output_tokens'
             WHEN p."gen_ai.usage.completion_tokens" IS NOT NULL
                 THEN 'gen_ai.usage.completion_tokens'
             ELSE 'llm.token_count.completion' END AS output_name,
        coalesce(p."gen_ai.usage.cache_read.input_tokens",
                 p."gen_ai.usage.cache_read_input_tokens",
                 p."gen_ai.usage.input_tokens.cached",
                 p."gen_ai.usage.input_tokens_details.cached",
                 p."llm.token_count.prompt_details.cache_read") AS cached_text,
        CASE WHEN p."gen_ai.usage.cache_read.input_tokens" IS NOT NULL
                 THEN 'gen_ai.usage.cache_read.input_tokens'
             WHEN p."gen_ai.usage.cache_read_input_tokens" IS NOT NULL
                 THEN 'gen_ai.usage.cache_read_input_tokens'
             WHEN p."gen_ai.usage.input_tokens.cached" IS NOT NULL
                 THEN 'gen_ai.usage.input_tokens.cached'
             WHEN p."gen_ai.usage.input_tokens_details.cached" IS NOT NULL
                 THEN 'gen_ai.usage.input_tokens_details.cached'
             ELSE 'llm.token_count.prompt_details.cache_read' END AS cached_name,
        coalesce(p."gen_ai.usage.reasoning.output_tokens", p."gen_ai.usage.reasoning_tokens",
                 p."gen_ai.usage.output_tokens.reasoning",
                 p."gen_ai.usage.output_tokens_details.reasoning",
                 p."llm.token_count.completion_details.reasoning") AS reasoning_text,
        CASE WHEN p."gen_ai.usage.reasoning.output_tokens" IS NOT NULL
                 THEN 'gen_ai.usage.reasoning.output_tokens'
             WHEN p."gen_ai.usage.reasoning_tokens" IS NOT NULL
                 THEN 'gen_ai.usage.reasoning_tokens'
             WHEN p."gen_ai.usage.output_tokens.reasoning" IS NOT NULL
                 THEN 'gen_ai.usage.output_tokens.reasoning'
             WHEN p."gen_ai.usage.output_tokens_details.reasoning" IS NOT NULL
                 THEN 'gen_ai.usage.output_tokens_details.reasoning'
             ELSE 'llm.token_count.completion_details.reasoning' END AS reasoning_name,
        coalesce(nullif(p."gen_ai.response.finish_reasons", ''),
                 nullif(p."gen_ai.response.finish_reason", ''),
                 nullif(p."llm.response.finish_reason", ''),
                 nullif(p."llm.finish_reason", '')) AS finish_text,
        -- OpenLLMetry: each choice's finish reason and filter verdicts under
        -- gen_ai.completion.{i}.*, read only when choice 0 has one (as it always does).
        CASE WHEN contains(read, '"gen_ai.completion.0.finish_reason"')
                  OR contains(read, '"gen_ai.completion.0.content_filter_results"')
             THEN list_filter(json_keys(read), lambda k: regexp_matches(k,
                 '^gen_ai\.completion\.[0-9]+\.(finish_reason|content_filter_results)$'))
        END AS choice_keys
    FROM classified
),
counted AS (
    SELECT
        *,
        genai_count(input_text, $max_tokens) AS input_tokens,
        genai_count(output_text, $max_tokens) AS output_tokens,
        genai_count(cached_text, $max_tokens) AS cached_input_tokens,
        genai_count(reasoning_text, $max_tokens) AS reasoning_tokens,
        list_transform(choice_keys, lambda k: struct_pack(
            idx := TRY_CAST(split_part(k, '.', 3) AS BIGINT),
            field := split_part(k, '.', 4),
            key := k,
            value := json_extract_string(read, '$."' || k || '"'))) AS choices
    FROM kinds
)
SELECT
    request_no,
    r,
    s,
    i,
    kind,
    CASE WHEN kind = 'other_operation' THEN left(coalesce(operation_name, openinference_kind), 40)
    END AS other_operation,
    -- A child HTTP span of a model call: what its URL and status say, for its parent.
    CASE WHEN kind = 'not_genai' AND parent_span_id IS NOT NULL AND url_deployment IS NOT NULL
         THEN trace_id || parent_span_id END AS hint_call_id,
    start_time AS hint_start_time,
    url_deployment AS hint_deployment,
    url_api_version AS hint_api_version,
    coalesce(genai_text(p."server.address"), url_host_name) AS hint_endpoint,
    explicit_status AS hint_http_status,
    trace_id || span_id AS call_id,
    $source AS source,
    trace_id,
    span_id,
    start_time,
    duration_ms,
    CASE WHEN TRY_CAST(p."gen_ai.response.time_to_first_chunk" AS DOUBLE) BETWEEN 0 AND 86400
         THEN TRY_CAST(p."gen_ai.response.time_to_first_chunk" AS DOUBLE) * 1000.0 END AS ttft_ms,
    operation,
    coalesce(genai_text(p."server.address"), url_host_name, endpoint_hint) AS endpoint,
    genai_text(p."azure.openai.region") AS region,
    genai_text(p."azure.openai.deployment") AS named_deployment,
    url_deployment,
    left(coalesce(genai_request_model, invoked_model), 512) AS request_model,
    genai_text(coalesce(p."gen_ai.response.model", p."llm.model_name", p."embedding.model_name"))
        AS model,
    left(provider_name, 512) AS provider,
    coalesce(genai_text(p."azure.openai.api_version"), genai_text(p."gen_ai.openai.api_version"),
             url_api_version) AS api_version,
    genai_text(p."azure.openai.deployment_type") AS deployment_type,
    coalesce(genai_text(p."tenant.id"), genai_text(resource ->> 'tenant.id')) AS tenant_id,
    coalesce(genai_text(p."azure.apim.subscription_id"),
             genai_text(resource ->> 'azure.apim.subscription_id')) AS apim_subscription,
    coalesce(genai_text(p."enduser.id"), genai_text(p."user.id"), genai_text(p."llm.user"),
             genai_text(p."gen_ai.user")) AS end_user,
    coalesce(genai_text(resource ->> 'service.name'), service_hint) AS service,
    CASE WHEN starts_with(p."error.type", '<class ''') AND ends_with(p."error.type", '''>')
         THEN nullif(left(p."error.type"[9:-3], 512), '')
         ELSE genai_text(p."error.type") END AS error_type,
    coalesce(explicit_status, http_status_hint) AS explicit_status,
    status_error,
    input_tokens,
    output_tokens,
    cached_input_tokens,
    reasoning_tokens,
    CASE
        WHEN input_text IS NOT NULL AND input_tokens IS NULL
            THEN genai_count_problem(input_name, input_text, $max_tokens)
        WHEN output_text IS NOT NULL AND output_tokens IS NULL
            THEN genai_count_problem(output_name, output_text, $max_tokens)
        WHEN cached_text IS NOT NULL AND cached_input_tokens IS NULL
            THEN genai_count_problem(cached_name, cached_text, $max_tokens)
        WHEN reasoning_text IS NOT NULL AND reasoning_tokens IS NULL
            THEN genai_count_problem(reasoning_name, reasoning_text, $max_tokens)
        WHEN cached_input_tokens > input_tokens
            THEN cached_name || ' = ' || cached_input_tokens || ' exceeds ' || input_name
                 || ' = ' || input_tokens
        WHEN reasoning_tokens > output_tokens
            THEN reasoning_name || ' = ' || reasoning_tokens || ' exceeds ' || output_name
                 || ' = ' || output_tokens
        WHEN list_bool_or(list_transform(choices, lambda c: c.idx IS NULL OR c.idx > 2147483647))
            THEN left(list_filter(choices, lambda c: c.idx IS NULL OR c.idx > 2147483647)[1].key, 80)
                 || ' has a choice index outside 0..2147483647'
    END AS problem,
    -- Finish reasons: a JSON array, a Python tuple's repr (App Insights) or one string;
    -- OpenLLMetry's per-choice ones in choice order when none of these is there.
    coalesce(genai_first_reason(finish_text), list_sort(list_transform(
        list_filter(choices, lambda c: c.field = 'finish_reason' AND nullif(c.value, '') IS NOT NULL),
        lambda c: struct_pack(idx := c.idx, value := c.value)))[1].value) AS finish_reason,
    regexp_matches(coalesce(finish_text, '') || ' ' || coalesce(list_aggregate(list_transform(
        list_filter(choices, lambda c: c.field = 'finish_reason'), lambda c: c.value),
        'string_agg', ' '), ''), '(^|[\s\[\(,''"])content_filter([\s\]\),''"]|$)')
        AS finish_content_filter,
    genai_text(p."gen_ai.response.id") AS response_id,
    genai_text(p."azure.openai.request_id") AS request_id,
    -- Verdict texts, parsed once per distinct text by collectors/content_filter.py: kind
    -- (how to read it), ord (which a merge prefers on a tie), choice (OpenLLMetry's index).
    list_filter([
        struct_pack(ord := 1, kind := 'status', choice := NULL::INTEGER,
                    text := CASE WHEN starts_with(status_message, 'Error code: 400')
                                 THEN status_message END),
        struct_pack(ord := 2, kind := 'prompt', choice := NULL::INTEGER,
                    text := p."azure.openai.prompt_filter_results"),
        struct_pack(ord := 3, kind := 'prompt', choice := NULL::INTEGER,
                    text := p."gen_ai.prompt.prompt_filter_results"),
        struct_pack(ord := 4, kind := 'completion', choice := NULL::INTEGER,
                    text := p."azure.openai.completion_filter_results"),
        struct_pack(ord := 6, kind := 'error', choice := NULL::INTEGER,
                    text := p."azure.openai.content_filter.error"),
        struct_pack(ord := 7, kind := 'error', choice := NULL::INTEGER,
                    text := p."gen_ai.prompt.prompt_error")
    ], lambda v: v.text IS NOT NULL) || coalesce(list_transform(
        list_filter(choices, lambda c: c.field = 'content_filter_results'
                                        AND c.idx <= 2147483647 AND c.value IS NOT NULL),
        lambda c: struct_pack(ord := 5, kind := 'choice', choice := CAST(c.idx AS INTEGER),
                              text := c.value)), []) AS verdict_texts,
    lower(p."azure.openai.content_filter.blocked") = 'true' AS blocked_attribute,
    -- What the call keeps (every attribute no column holds, with the span's and scope's
    -- names and the resource), credentials masked (collectors/credentials.py) where the
    -- source saw a sign of one: keys that carry secrets, secret URL parameters.
    CASE WHEN mask THEN CAST(json_merge_patch(
             kept,
             genai_masked(CAST(kept AS JSON), $credential_keys, $secret_query),
             json_object('resource', genai_masked(kept -> 'resource', $credential_keys,
                                                  $secret_query))
         ) AS VARCHAR)
         ELSE kept END AS attributes
FROM counted
