-- name: app_insights_calls
-- returns: the canonical call columns (collectors/rows.py CallRow) of each row of the Application Insights GenAI dependency pull (queries/kql/app_insights.kql) in the registered relation log_rows; call_id or start_time NULL for a row that cannot be a call
-- params: $source VARCHAR, $mapped_as_text VARCHAR, $drop_mapped VARCHAR, $credential_keys VARCHAR, $operation_names VARCHAR[], $operations VARCHAR[], $max_tokens BIGINT
-- An AppDependencies row is a GenAI span as azure-monitor-opentelemetry wrote it: Properties
-- holds the span attributes (docs/attributes.md) as text ("812", "True", tuples as Python
-- reprs "('stop',)"); error.type and server.address were dropped by the exporter. call_id
-- is trace id + span id, as for the same span received over OTLP.
-- $mapped_as_text reads every attribute that fills a column as text (json_transform's
-- structure); $drop_mapped is the JSON merge patch that removes them, leaving the rest for
-- attributes. Where several names mean one thing, the first one present wins. Attributes
-- whose key matches $credential_keys (collectors/credentials.py) keep only "[redacted]".
WITH cells AS (
    SELECT
        *,
        lower(cell_text(OperationId)) AS trace,
        lower(cell_text(Id)) AS span,
        TRY_CAST(Properties AS JSON) AS props,
        json_transform(props, $mapped_as_text) AS p,
        lower(CAST(Success AS VARCHAR)) = 'false' AS failed,
        cell_text(Target) AS target
    FROM log_rows
),
named AS (
    SELECT
        *,
        cell_text(p."azure.openai.deployment") AS deployment_name,
        cell_text(p."gen_ai.request.model") AS request_model_name,
        cell_text(p."gen_ai.operation.name") AS operation_name,
        cell_text(p."gen_ai.response.finish_reasons") AS finish_reasons,
        CASE WHEN json_type(props) = 'OBJECT' THEN to_json(map_from_entries(list_transform(
            list_filter(json_keys(props), lambda k: regexp_matches(k, $credential_keys)
                AND coalesce(props ->> k, '') NOT IN ('', 'None', 'null', '{}', '[]')),
            lambda k: struct_pack(key := k, value := '[redacted]'))))
        END AS credentials_masked
    FROM cells
)
SELECT
    CASE WHEN trace IS NOT NULL AND span IS NOT NULL THEN trace || span END AS call_id,
    $source AS source,
    trace AS trace_id,
    span AS span_id,
    cell_time(TimeGenerated) AS start_time,
    cell_float(DurationMs) AS duration_ms,
    cell_float(p."gen_ai.response.time_to_first_chunk") * 1000.0 AS ttft_ms,
    coalesce(map($operation_names, $operations)[operation_name], operation_name, 'unknown')
        AS operation,
    CASE WHEN contains(target, '.') THEN target END AS endpoint,
    cell_text(p."azure.openai.region") AS region,
    coalesce(deployment_name, request_model_name, 'unknown') AS deployment,
    CASE WHEN deployment_name IS NOT NULL THEN 'attribute'
         WHEN request_model_name IS NOT NULL THEN 'request_model'
         ELSE 'unknown' END AS deployment_source,
    cell_text(p."gen_ai.response.model") AS model,
    request_model_name AS request_model,
    coalesce(cell_text(p."gen_ai.provider.name"), cell_text(p."gen_ai.system")) AS provider,
    cell_text(p."azure.openai.api_version") AS api_version,
    cell_text(p."azure.openai.deployment_type") AS deployment_type,
    cell_text(p."tenant.id") AS tenant_id,
    coalesce(cell_text(p."enduser.id"), cell_text(p."user.id"), cell_text(p."llm.user"),
             cell_text(p."gen_ai.user")) AS end_user,
    cell_text(AppRoleName) AS service,
    CASE WHEN failed THEN 'error' ELSE 'ok' END AS status,
    coalesce(cell_status(ResultCode), CASE WHEN failed IS NOT TRUE THEN 200 END) AS http_status,
    NULL::VARCHAR AS error_type,
    cell_count(coalesce(cell_text(p."gen_ai.usage.input_tokens"),
                        cell_text(p."gen_ai.usage.prompt_tokens")), $max_tokens) AS input_tokens,
    cell_count(coalesce(cell_text(p."gen_ai.usage.cache_read.input_tokens"),
                        cell_text(p."gen_ai.usage.cache_read_input_tokens"),
                        cell_text(p."gen_ai.usage.input_tokens.cached"),
                        cell_text(p."gen_ai.usage.input_tokens_details.cached")), $max_tokens)
        AS cached_input_tokens,
    cell_count(coalesce(cell_text(p."gen_ai.usage.output_tokens"),
                        cell_text(p."gen_ai.usage.completion_tokens")), $max_tokens)
        AS output_tokens,
    cell_count(coalesce(cell_text(p."gen_ai.usage.reasoning.output_tokens"),
                        cell_text(p."gen_ai.usage.reasoning_tokens"),
                        cell_text(p."gen_ai.usage.output_tokens.reasoning"),
                        cell_text(p."gen_ai.usage.output_tokens_details.reasoning")), $max_tokens)
        AS reasoning_tokens,
    -- The first of "('stop', 'length')", '["stop"]' or "stop"; "()" says there is none.
    CASE WHEN regexp_matches(finish_reasons, '^[\(\[]\s*[\)\]]$') THEN NULL
         ELSE coalesce(
             nullif(regexp_extract(finish_reasons, '^[\(\[]\s*''([^'']*)''', 1), ''),
             nullif(regexp_extract(finish_reasons, '^[\(\[]\s*"([^"]*)"', 1), ''),
             finish_reasons
         ) END AS finish_reason,
    'none' AS filter_action,
    cell_text(p."gen_ai.response.id") AS response_id,
    CAST(json_merge_patch(
        CASE WHEN json_type(props) = 'OBJECT' THEN props ELSE '{}' END,
        CAST($drop_mapped AS JSON),
        json_object('span.name', Name, 'dependency.type', DependencyType),
        coalesce(credentials_masked, '{}')
    ) AS VARCHAR) AS attributes,
    cell_text(p."azure.apim.subscription_id") AS apim_subscription,
    cell_text(p."azure.openai.request_id") AS request_id
FROM named;
