-- name: merge_calls
-- returns: nothing; folds each incoming call (registered relation incoming_calls) into the stored call that call_matches (incoming_id, stored_id, incoming_first) names: per column the first value present, the incoming call's first when incoming_first, else the stored call's
-- params:
-- A call seen by two sources (the same request_id) or read again (the same call_id) stays
-- one row with the richer fields of both: a known deployment beats 'unknown', a content
-- filter action beats 'none', attributes are merged, and also_seen_by lists the other
-- sources that reported it.
UPDATE calls AS c SET
    trace_id = m.trace_id,
    span_id = m.span_id,
    start_time = m.start_time,
    duration_ms = m.duration_ms,
    ttft_ms = m.ttft_ms,
    operation = m.operation,
    endpoint = m.endpoint,
    region = m.region,
    model = m.model,
    request_model = m.request_model,
    provider = m.provider,
    api_version = m.api_version,
    deployment_type = m.deployment_type,
    tenant_id = m.tenant_id,
    end_user = m.end_user,
    service = m.service,
    http_status = m.http_status,
    error_type = m.error_type,
    input_tokens = m.input_tokens,
    cached_input_tokens = m.cached_input_tokens,
    output_tokens = m.output_tokens,
    reasoning_tokens = m.reasoning_tokens,
    finish_reason = m.finish_reason,
    response_id = m.response_id,
    apim_subscription = m.apim_subscription,
    request_id = m.request_id,
    deployment = m.deployment,
    deployment_source = m.deployment_source,
    status = m.status,
    filter_action = m.filter_action,
    attributes = m.attributes,
    also_seen_by = nullif(
        list_filter(
            list_distinct(list_concat(coalesce(c.also_seen_by, []), m.sources)),
            lambda s: s <> c.source
        ),
        []
    )
FROM (
    WITH versions AS (
        SELECT
            x.stored_id,
            CASE WHEN x.incoming_first THEN 0 ELSE 1 END AS rank,
            i.* REPLACE (CAST(i.attributes AS JSON) AS attributes)
        FROM call_matches AS x
        JOIN incoming_calls AS i ON i.call_id = x.incoming_id
        UNION ALL BY NAME
        SELECT
            x.stored_id,
            CASE WHEN x.incoming_first THEN 1 ELSE 0 END AS rank,
            s.* EXCLUDE (ingested_at, also_seen_by)
        FROM (SELECT DISTINCT stored_id, incoming_first FROM call_matches) AS x
        JOIN calls AS s ON s.call_id = x.stored_id
    )
    SELECT
        stored_id,
        arg_min(trace_id, rank) FILTER (WHERE trace_id IS NOT NULL) AS trace_id,
        arg_min(span_id, rank) FILTER (WHERE span_id IS NOT NULL) AS span_id,
        arg_min(start_time, rank) FILTER (WHERE start_time IS NOT NULL) AS start_time,
        arg_min(duration_ms, rank) FILTER (WHERE duration_ms IS NOT NULL) AS duration_ms,
        arg_min(ttft_ms, rank) FILTER (WHERE ttft_ms IS NOT NULL) AS ttft_ms,
        arg_min(operation, rank) FILTER (WHERE operation IS NOT NULL) AS operation,
        arg_min(endpoint, rank) FILTER (WHERE endpoint IS NOT NULL) AS endpoint,
        arg_min(region, rank) FILTER (WHERE region IS NOT NULL) AS region,
        arg_min(model, rank) FILTER (WHERE model IS NOT NULL) AS model,
        arg_min(request_model, rank) FILTER (WHERE request_model IS NOT NULL) AS request_model,
        arg_min(provider, rank) FILTER (WHERE provider IS NOT NULL) AS provider,
        arg_min(api_version, rank) FILTER (WHERE api_version IS NOT NULL) AS api_version,
        arg_min(deployment_type, rank) FILTER (WHERE deployment_type IS NOT NULL) AS deployment_type,
        arg_min(tenant_id, rank) FILTER (WHERE tenant_id IS NOT NULL) AS tenant_id,
        arg_min(end_user, rank) FILTER (WHERE end_user IS NOT NULL) AS end_user,
        arg_min(service, rank) FILTER (WHERE service IS NOT NULL) AS service,
        arg_min(http_status, rank) FILTER (WHERE http_status IS NOT NULL) AS http_status,
        arg_min(error_type, rank) FILTER (WHERE error_type IS NOT NULL) AS error_type,
        arg_min(input_tokens, rank) FILTER (WHERE input_tokens IS NOT NULL) AS input_tokens,
        arg_min(cached_input_tokens, rank) FILTER (WHERE cached_input_tokens IS NOT NULL) AS cached_input_tokens,
        arg_min(output_tokens, rank) FILTER (WHERE output_tokens IS NOT NULL) AS output_tokens,
        arg_min(reasoning_tokens, rank) FILTER (WHERE reasoning_tokens IS NOT NULL) AS reasoning_tokens,
        arg_min(finish_reason, rank) FILTER (WHERE finish_reason IS NOT NULL) AS finish_reason,
        arg_min(response_id, rank) FILTER (WHERE response_id IS NOT NULL) AS response_id,
        arg_min(apim_subscription, rank) FILTER (WHERE apim_subscription IS NOT NULL) AS apim_subscription,
        arg_min(request_id, rank) FILTER (WHERE request_id IS NOT NULL) AS request_id,
        arg_min(deployment, rank + CASE WHEN deployment_source = 'unknown' THEN 10 ELSE 0 END)
            AS deployment,
        arg_min(
            deployment_source, rank + CASE WHEN deployment_source = 'unknown' THEN 10 ELSE 0 END
        ) AS deployment_source,
        arg_min(status, rank) AS status,
        arg_min(filter_action, rank + CASE WHEN filter_action = 'none' THEN 10 ELSE 0 END)
            AS filter_action,
        json_merge_patch(
            coalesce(arg_max(attributes, rank), '{}'), coalesce(arg_min(attributes, rank), '{}')
        ) AS attributes,
        list(DISTINCT source) AS sources
    FROM versions
    GROUP BY stored_id
) AS m
WHERE c.call_id = m.stored_id;
