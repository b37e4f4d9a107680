-- name: 006_request_id
-- returns: nothing (migration): the Azure request id that joins one call seen by several sources, and which other sources saw it
-- params:
-- request_id is the apim-request-id response header as the caller saw it (OTLP attribute
-- azure.openai.request_id) and as Azure logged it (AzureDiagnostics CorrelationId, the
-- header API Management passed back). Calls with the same request_id are one call.
ALTER TABLE calls ADD COLUMN request_id VARCHAR;
-- Sources other than calls.source that reported the same call (NULL: none).
ALTER TABLE calls ADD COLUMN also_seen_by VARCHAR[];
