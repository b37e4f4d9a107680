-- name: app_insights_calls
-- returns: the canonical call columns (collectors/rows.py CallRow) of each row of the Application Insights GenAI dependency pull (queries/kql/app_insights.kql) in the registered relation log_rows; call_id or start_time NULL for a row that cannot be a call
-- params: $source VARCHAR, $operation_names VARCHAR[], $operations VARCHAR[], $mapped VARCHAR[], $input_names VARCHAR[], $output_names VARCHAR[], $cached_names VARCHAR[], $reasoning_names VARCHAR[], $end_user_names VARCHAR[], $max_tokens BIGINT
-- An AppDependencies row is a GenAI span as azure-monitor-opentelemetry wrote it: Properties
-- holds the span attributes (docs/attributes.md) as text ("812", "True", tuples as Python
-- reprs "('stop',)"); error.type and server.address were dropped by the exporter. call_id
-- is trace id + span id, as for the same span received over OTLP. Where several attribute
-- names mean one thing ($input_names, ...), the first one present wins.
WITH cells AS (
    SELECT
        *,
        lower(cell_text(OperationId)) AS trace,
        lower(cell_text(Id)) AS span,
        TRY_CAST(TRY_CAST(Properties AS JSON) AS MAP(VARCHAR, VARCHAR)) AS props,
        TRY_CAST(TRY_CAST(Properties AS JSON) AS MAP(VARCHAR, JSON)) AS props_json,
        lower(CAST(Success AS VARCHAR)) = 'false' AS failed,
        cell_text(Target) AS target
    FROM log_rows
),
named AS (
    SELECT
        *,
        cell_text(props['azure.openai.deployment']) AS deployment_name,
        cell_text(props['gen_ai.request.model']) AS request_model_name,
        cell_text(props['gen_ai.operation.name']) AS operation_name,
        cell_text(props['gen_ai.response.finish_reasons']) AS finish_reasons
    FROM cells
)
SELECT
    CASE WHEN trace IS NOT NULL AND span IS NOT NULL THEN trace || span END AS call_id,
    $source AS source,
    trace AS trace_id,
    span AS span_id,
    cell_time(TimeGenerated) AS start_time,
    cell_float(DurationMs) AS duration_ms,
    cell_float(props['gen_ai.response.time_to_first_chunk']) * 1000.0 AS ttft_ms,
    coalesce(map($operation_names, $operations)[operation_name], operation_name, 'unknown')
        AS operation,
    CASE WHEN contains(target, '.') THEN target END AS endpoint,
    cell_text(props['azure.openai.region']) AS region,
    coalesce(deployment_name, request_model_name, 'unknown') AS deployment,
    CASE WHEN deployment_name IS NOT NULL THEN 'attribute'
         WHEN request_model_name IS NOT NULL THEN 'request_model'
         ELSE 'unknown' END AS deployment_source,
    cell_text(props['gen_ai.response.model']) AS model,
    request_model_name AS request_model,
    coalesce(cell_text(props['gen_ai.provider.name']), cell_text(props['gen_ai.system']))
        AS provider,
    cell_text(props['azure.openai.api_version']) AS api_version,
    cell_text(props['azure.openai.deployment_type']) AS deployment_type,
    cell_text(props['tenant.id']) AS tenant_id,
    list_filter(list_transform($end_user_names, lambda n: cell_text(props[n])),
                lambda v: v IS NOT NULL)[1] AS end_user,
    cell_text(AppRoleName) AS service,
    CASE WHEN failed THEN 'error' ELSE 'ok' END AS status,
    coalesce(cell_status(ResultCode), CASE WHEN failed IS NOT TRUE THEN 200 END) AS http_status,
    NULL::VARCHAR AS error_type,
    cell_count(list_filter(list_transform($input_names, lambda n: cell_text(props[n])),
                           lambda v: v IS NOT NULL)[1], $max_tokens) AS input_tokens,
    cell_count(list_filter(list_transform($cached_names, lambda n: cell_text(props[n])),
                           lambda v: v IS NOT NULL)[1], $max_tokens) AS cached_input_tokens,
    cell_count(list_filter(list_transform($output_names, lambda n: cell_text(props[n])),
                           lambda v: v IS NOT NULL)[1], $max_tokens) AS output_tokens,
    cell_count(list_filter(list_transform($reasoning_names, lambda n: cell_text(props[n])),
                           lambda v: v IS NOT NULL)[1], $max_tokens) AS reasoning_tokens,
    -- The first of "('stop', 'length')", '["stop"]' or "stop"; "()" says there is none.
    CASE WHEN regexp_matches(finish_reasons, '^[\(\[]\s*[\)\]]$') THEN NULL
         ELSE coalesce(
             nullif(regexp_extract(finish_reasons, '^[\(\[]\s*''([^'']*)''', 1), ''),
             nullif(regexp_extract(finish_reasons, '^[\(\[]\s*"([^"]*)"', 1), ''),
             finish_reasons
         ) END AS finish_reason,
    'none' AS filter_action,
    cell_text(props['gen_ai.response.id']) AS response_id,
    '{' || concat_ws(',',
        nullif(array_to_string(list_transform(
            list_filter(map_entries(props_json), lambda p: NOT list_contains($mapped, p.key)),
            lambda p: json_member(p.key, p.value)
        ), ','), ''),
        json_member('span.name', coalesce(to_json(Name), 'null'::JSON)),
        json_member('dependency.type', coalesce(to_json(DependencyType), 'null'::JSON))
    ) || '}' AS attributes,
    cell_text(props['azure.apim.subscription_id']) AS apim_subscription,
    cell_text(props['azure.openai.request_id']) AS request_id
FROM named;
