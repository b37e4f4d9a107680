-- name: app_insights_spans
-- returns: the GenAI span columns (collectors/otlp/flatten.py SPAN_SCHEMA) of each row of the Application Insights GenAI dependency pull (queries/kql/app_insights.kql) in the registered relation log_rows, for the GenAI rules (collectors/genai/rules.py): the span's fields, one text column per attribute the rules read, kept, what the call keeps in its attributes, and item_count, how many calls the row stands for (ItemCount)
-- params: $read_as_text VARCHAR, $drop_mapped VARCHAR, $credential_keys VARCHAR, $choice_keys VARCHAR, $content_keys VARCHAR
-- An AppDependencies row is a GenAI span as azure-monitor-opentelemetry wrote it:
-- Properties holds the span attributes as text ("812", "True", tuples as Python reprs
-- "('stop',)"); the exporter moved the HTTP status to ResultCode, the service name to
-- AppRoleName, enduser.id to UserAuthenticatedId and session.id to SessionId (both put
-- back here), and dropped
-- error.type, server.address (Target holds gen_ai.system) and the status message.
-- call_id is trace id + span id, as for the same span received over OTLP.
-- $read_as_text is the json_transform structure of every attribute the rules read;
-- $drop_mapped the JSON merge patch that removes those a column holds.
SELECT
    0 AS request_no,
    NULL::INTEGER AS r,
    NULL::INTEGER AS s,
    NULL::INTEGER AS i,
    lower(cell_text(OperationId)) AS trace_id,
    lower(cell_text(Id)) AS span_id,
    NULL::VARCHAR AS parent_span_id,
    cell_text(Name) AS name,
    cell_time(TimeGenerated) AS start_time,
    CASE WHEN cell_time(TimeGenerated) IS NULL THEN 1 ELSE 0 END::TINYINT AS start_state,
    cell_float(DurationMs) AS duration_ms,
    lower(CAST(Success AS VARCHAR)) = 'false' AS status_error,
    NULL::VARCHAR AS status_message,
    -- The properties no column holds, with the span's name and dependency type.
    CAST(json_merge_patch(props, CAST($drop_mapped AS JSON),
                          json_object('span.name', cell_text(Name),
                                      'dependency.type', cell_text(DependencyType)))
         AS VARCHAR) AS kept,
    list_bool_or(list_transform(json_keys(props), lambda k: regexp_matches(k, $credential_keys)))
        OR contains(CAST(props AS VARCHAR), '=') AS mask,
    -- Message content, redacted by the GenAI normaliser (collectors/redaction.py).
    coalesce(list_bool_or(list_transform(json_keys(props),
                                         lambda k: regexp_matches(k, $content_keys))), false)
        AS content,
    CASE WHEN regexp_matches(CAST(props AS VARCHAR), '"gen_ai\.completion\.[0-9]+\.')
         THEN CAST(json_merge_patch('{}', (
             SELECT json_group_object(k, props ->> k)
             FROM unnest(json_keys(props)) AS t(k)
             WHERE regexp_matches(k, $choice_keys))) AS VARCHAR)
    END AS choices,
    unnest(json_transform(props, $read_as_text)),
    NULL::VARCHAR AS "resource.tenant.id",
    NULL::VARCHAR AS "resource.azure.apim.subscription_id",
    cell_text(AppRoleName) AS "resource.service.name",
    CASE WHEN contains(cell_text(Target), '.') THEN cell_text(Target) END AS endpoint_hint,
    cell_status(ResultCode) AS http_status_hint,
    starts_with(cell_text(DependencyType), 'GenAI') AS genai_hint,
    cell_float(item_count_cell) AS item_count
FROM (
    SELECT *, ItemCount AS item_count_cell, json_merge_patch(
        json_object('enduser.id', cell_text(UserAuthenticatedId)),
        CASE WHEN cell_text(SessionId) IS NOT NULL
             THEN json_object('session.id', cell_text(SessionId)) ELSE CAST('{}' AS JSON) END,
        CASE WHEN json_type(TRY_CAST(Properties AS JSON)) = 'OBJECT'
             THEN TRY_CAST(Properties AS JSON) ELSE CAST('{}' AS JSON) END) AS props
    FROM log_rows
)
