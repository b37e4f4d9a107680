-- name: azure_diagnostics_calls
-- returns: the canonical call columns (collectors/rows.py CallRow) of each row of the Azure OpenAI RequestResponse log pull (queries/kql/azure_diagnostics.kql) in the registered relation log_rows; call_id or start_time NULL for a row that cannot be a call
-- params: $source VARCHAR, $operation_ids VARCHAR[], $operations VARCHAR[], $max_tokens BIGINT
-- CorrelationId is the apim-request-id header the caller got, so it is also the request_id.
-- properties_s is a string column holding JSON; text that is not a JSON object reads as {}.
-- Token counts come from the RequestResponse properties when they have them, else from the
-- call's AzureOpenAIRequestUsage properties (usage_s), where each is a one-element array
-- or a number (the shape seen in exports; not documented by Microsoft); else NULL: tokens
-- unknown, never 0. Foundry's non-OpenAI models (Llama, Mistral, DeepSeek, ... deployed on
-- the same resource) count their tokens as InputTokens / OutputTokens (the resource's
-- metric names for them): inputTokens / outputTokens are read where promptTokens /
-- generatedTokens are missing, so such calls are not "tokens unknown".
WITH cells AS (
    SELECT
        *,
        cell_text(CorrelationId) AS correlation,
        cell_text(Resource) AS resource,
        lower(cell_text(OperationName)) AS operation_id,
        cell_status(ResultSignature) AS status_code,
        TRY_CAST(properties_s AS JSON) AS props,
        TRY_CAST(usage_s AS JSON) AS usage
    FROM log_rows
),
named AS (
    SELECT
        *,
        cell_text(props ->> 'modelDeploymentName') AS deployment_name,
        cell_text(props ->> 'modelName') AS model_name,
        cell_text(props ->> 'modelVersion') AS model_version
    FROM cells
)
SELECT
    'diag:' || correlation AS call_id,
    $source AS source,
    NULL::VARCHAR AS trace_id,
    NULL::VARCHAR AS span_id,
    cell_time(TimeGenerated) AS start_time,
    cell_float(DurationMs) AS duration_ms,
    NULL::DOUBLE AS ttft_ms,
    coalesce(map($operation_ids, $operations)[operation_id], operation_id, 'unknown') AS operation,
    lower(resource) AS endpoint,
    NULL::VARCHAR AS region,
    coalesce(deployment_name, 'unknown') AS deployment,
    CASE WHEN deployment_name IS NULL THEN 'unknown' ELSE 'log' END AS deployment_source,
    CASE WHEN model_version IS NOT NULL THEN model_name || '-' || model_version
         ELSE model_name END AS model,
    NULL::VARCHAR AS request_model,
    'azure.ai.openai' AS provider,
    nullif(regexp_extract(
        cell_text(props ->> 'apiName'), '(\d{4}-\d{2}-\d{2}(?:-preview)?)', 1
    ), '') AS api_version,
    NULL::VARCHAR AS deployment_type,
    NULL::VARCHAR AS tenant_id,
    NULL::VARCHAR AS end_user,
    NULL::VARCHAR AS service,
    CASE WHEN status_code >= 400 THEN 'error' ELSE 'ok' END AS status,
    status_code AS http_status,
    NULL::VARCHAR AS error_type,
    coalesce(cell_count(props ->> 'promptTokens', $max_tokens),
             usage_count(usage, 'promptTokens', $max_tokens),
             cell_count(props ->> 'inputTokens', $max_tokens),
             usage_count(usage, 'inputTokens', $max_tokens)) AS input_tokens,
    usage_count(usage, 'cachedTokens', $max_tokens) AS cached_input_tokens,
    coalesce(cell_count(props ->> 'completionTokens', $max_tokens),
             usage_count(usage, 'generatedTokens', $max_tokens),
             cell_count(props ->> 'outputTokens', $max_tokens),
             usage_count(usage, 'outputTokens', $max_tokens)) AS output_tokens,
    NULL::BIGINT AS reasoning_tokens,
    NULL::VARCHAR AS finish_reason,
    'none' AS filter_action,
    NULL::VARCHAR AS response_id,
    '{' || concat_ws(',',
        json_member('stream_type', cell_text(props ->> 'streamType')),
        json_member('caller_ip', cell_text(CallerIPAddress)),
        json_member('resource', resource)
    ) || '}' AS attributes,
    NULL::VARCHAR AS apim_subscription,
    correlation AS request_id,
    1.0 AS sample_weight,  -- the resource logs every call
    -- Where the call went (049_call_routing.sql): what this log says of it.
    NULL::VARCHAR AS service_tier,
    NULL::VARCHAR AS service_tier_requested,
    NULL::VARCHAR AS backend,
    NULL::VARCHAR AS failover_from,
    NULL::INTEGER AS attempts,
    NULL::BOOLEAN AS spillover,
    NULL::VARCHAR AS spillover_from
FROM named;
