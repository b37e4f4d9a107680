-- name: apim_calls
-- returns: the canonical call columns (collectors/rows.py CallRow) of each row of the API Management GenAI gateway pull (queries/kql/apim.kql) in the registered relation log_rows; call_id or start_time NULL for a row that cannot be a call
-- params: $source VARCHAR, $operation_ids VARCHAR[], $operations VARCHAR[], $max_tokens BIGINT
-- call_id is apim: + CorrelationId; the backend's apim-request-id (BackendRequestId, when
-- the gateway logs response headers) is the request_id that joins the call other sources
-- saw. Region is the gateway's, not the Azure OpenAI resource's, so it stays an attribute,
-- as does BackendResponseCode (its status, which may differ from the caller's after a retry
-- or failover). BackendId (which backend of a pool answered) is the call's backend, and
-- stays an attribute too.
-- Tokens: PromptTokens and CompletionTokens as logged; when one of them is missing and
-- TotalTokens is there, the missing one is TotalTokens minus the other (never below 0).
-- When all three are there and disagree, the two counts are kept (they are what is
-- billed) and TotalTokens is kept as apim.total_tokens with apim.tokens_inconsistent; with
-- neither count, the call's tokens stay unknown and TotalTokens is kept the same way.
-- SessionId, where the workspace has it, is the attribute session.id.
-- A call fails on an HTTP status of 400 or more (or, with no status, on an error reason):
-- a 200 whose LastErrorReason says the client went away mid-stream was answered and billed,
-- so it is ok, with the reason kept as apim.last_error.
WITH raw AS (
    SELECT
        *,
        cell_text(CorrelationId) AS correlation,
        cell_text(DeploymentName) AS deployment_name,
        lower(cell_text(OperationName)) AS operation_id,
        cell_status(ResponseCode) AS status_code,
        cell_text(LastErrorReason) AS error,
        cell_count(PromptTokens, $max_tokens) AS prompt_count,
        cell_count(CompletionTokens, $max_tokens) AS completion_count,
        cell_count(TotalTokens, $max_tokens) AS total_count
    FROM log_rows
),
cells AS (
    SELECT
        *,
        coalesce(status_code >= 400, error IS NOT NULL) AS failed,
        -- greatest() would skip a NULL difference: a missing total or other count stays NULL
        coalesce(prompt_count, CASE WHEN total_count - completion_count IS NOT NULL
            THEN greatest(total_count - completion_count, 0) END) AS input_count,
        coalesce(completion_count, CASE WHEN total_count - prompt_count IS NOT NULL
            THEN greatest(total_count - prompt_count, 0) END) AS output_count,
        total_count IS NOT NULL AND (
            prompt_count IS NULL OR completion_count IS NULL
            OR prompt_count + completion_count <> total_count
        ) AS total_says_more
    FROM raw
)
SELECT
    'apim:' || correlation AS call_id,
    $source AS source,
    NULL::VARCHAR AS trace_id,
    NULL::VARCHAR AS span_id,
    cell_time(TimeGenerated) AS start_time,
    cell_float(TotalTime) AS duration_ms,
    NULL::DOUBLE AS ttft_ms,
    coalesce(map($operation_ids, $operations)[operation_id], operation_id, 'unknown') AS operation,
    url_host(cell_text(BackendUrl)) AS endpoint,
    NULL::VARCHAR AS region,
    coalesce(deployment_name, 'unknown') AS deployment,
    CASE WHEN deployment_name IS NULL THEN 'unknown' ELSE 'log' END AS deployment_source,
    cell_text(ModelName) AS model,
    NULL::VARCHAR AS request_model,
    'azure.ai.openai' AS provider,
    cell_text(ApiVersion) AS api_version,
    NULL::VARCHAR AS deployment_type,
    NULL::VARCHAR AS tenant_id,
    NULL::VARCHAR AS end_user,
    NULL::VARCHAR AS service,
    CASE WHEN failed THEN 'error' ELSE 'ok' END AS status,
    status_code AS http_status,
    CASE WHEN failed THEN error END AS error_type,
    input_count AS input_tokens,
    NULL::BIGINT AS cached_input_tokens,
    output_count AS output_tokens,
    NULL::BIGINT AS reasoning_tokens,
    NULL::VARCHAR AS finish_reason,
    'none' AS filter_action,
    cell_text(LlmRequestId) AS response_id,
    '{' || concat_ws(',',
        json_member('apim.product_id', cell_text(ProductId)),
        json_member('apim.api_id', cell_text(ApiId)),
        json_member('apim.caller_ip', cell_text(CallerIpAddress)),
        json_member('apim.region', cell_text(Region)),
        json_member('stream', CASE WHEN cell_float(IsStreamCompletion) <> 0 THEN true END),
        json_member('apim.last_error', CASE WHEN NOT failed THEN error END),
        json_member('apim.backend_id', cell_text(BackendId)),
        json_member('apim.backend_response_code', cell_status(BackendResponseCode)),
        json_member('apim.total_tokens', CASE WHEN total_says_more THEN total_count END),
        json_member('apim.tokens_inconsistent', CASE
            WHEN total_says_more AND prompt_count IS NOT NULL AND completion_count IS NOT NULL
                THEN true END),
        json_member('session.id', cell_text(SessionId))
    ) || '}' AS attributes,
    cell_text(ApimSubscriptionId) AS apim_subscription,
    cell_text(BackendRequestId) AS request_id,
    1.0 AS sample_weight,  -- the gateway logs every call
    -- Where the call went (049_call_routing.sql): what this log says of it.
    NULL::VARCHAR AS service_tier,
    NULL::VARCHAR AS service_tier_requested,
    cell_text(BackendId) AS backend,
    NULL::VARCHAR AS failover_from,
    NULL::INTEGER AS attempts,
    NULL::BOOLEAN AS spillover,
    NULL::VARCHAR AS spillover_from
FROM cells;
