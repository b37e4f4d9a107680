-- name: merge_calls
-- returns: nothing; folds each incoming call (registered relation incoming_calls) into the stored call that call_matches (incoming_id, stored_id, incoming_first; one row per stored_id, only those changing_call_matches kept) names: per column the first value present, the incoming call's first when incoming_first (a re-read), else the stored call's (another source's report of it)
-- params: $window_start TIMESTAMPTZ, $window_end TIMESTAMPTZ
-- A call seen by two sources (the same request_id) or read again (the same call_id) stays
-- one row with the richer fields of both: a known deployment beats 'unknown', a content
-- filter action beats 'none', attributes are merged, and also_seen_by lists the other
-- sources that reported it. The stored calls lie in [$window_start, $window_end], the window their matches
-- were found in.
UPDATE calls AS c SET
    trace_id = CASE WHEN i.incoming_first THEN coalesce(i.trace_id, c.trace_id) ELSE coalesce(c.trace_id, i.trace_id) END,
    span_id = CASE WHEN i.incoming_first THEN coalesce(i.span_id, c.span_id) ELSE coalesce(c.span_id, i.span_id) END,
    start_time = CASE WHEN i.incoming_first THEN coalesce(i.start_time, c.start_time) ELSE coalesce(c.start_time, i.start_time) END,
    duration_ms = CASE WHEN i.incoming_first THEN coalesce(i.duration_ms, c.duration_ms) ELSE coalesce(c.duration_ms, i.duration_ms) END,
    ttft_ms = CASE WHEN i.incoming_first THEN coalesce(i.ttft_ms, c.ttft_ms) ELSE coalesce(c.ttft_ms, i.ttft_ms) END,
    operation = CASE WHEN i.incoming_first THEN coalesce(i.operation, c.operation) ELSE coalesce(c.operation, i.operation) END,
    endpoint = CASE WHEN i.incoming_first THEN coalesce(i.endpoint, c.endpoint) ELSE coalesce(c.endpoint, i.endpoint) END,
    region = CASE WHEN i.incoming_first THEN coalesce(i.region, c.region) ELSE coalesce(c.region, i.region) END,
    model = CASE WHEN i.incoming_first THEN coalesce(i.model, c.model) ELSE coalesce(c.model, i.model) END,
    request_model = CASE WHEN i.incoming_first THEN coalesce(i.request_model, c.request_model) ELSE coalesce(c.request_model, i.request_model) END,
    provider = CASE WHEN i.incoming_first THEN coalesce(i.provider, c.provider) ELSE coalesce(c.provider, i.provider) END,
    api_version = CASE WHEN i.incoming_first THEN coalesce(i.api_version, c.api_version) ELSE coalesce(c.api_version, i.api_version) END,
    deployment_type = CASE WHEN i.incoming_first THEN coalesce(i.deployment_type, c.deployment_type) ELSE coalesce(c.deployment_type, i.deployment_type) END,
    tenant_id = CASE WHEN i.incoming_first THEN coalesce(i.tenant_id, c.tenant_id) ELSE coalesce(c.tenant_id, i.tenant_id) END,
    end_user = CASE WHEN i.incoming_first THEN coalesce(i.end_user, c.end_user) ELSE coalesce(c.end_user, i.end_user) END,
    service = CASE WHEN i.incoming_first THEN coalesce(i.service, c.service) ELSE coalesce(c.service, i.service) END,
    http_status = CASE WHEN i.incoming_first THEN coalesce(i.http_status, c.http_status) ELSE coalesce(c.http_status, i.http_status) END,
    error_type = CASE WHEN i.incoming_first THEN coalesce(i.error_type, c.error_type) ELSE coalesce(c.error_type, i.error_type) END,
    input_tokens = CASE WHEN i.incoming_first THEN coalesce(i.input_tokens, c.input_tokens) ELSE coalesce(c.input_tokens, i.input_tokens) END,
    cached_input_tokens = CASE WHEN i.incoming_first THEN coalesce(i.cached_input_tokens, c.cached_input_tokens) ELSE coalesce(c.cached_input_tokens, i.cached_input_tokens) END,
    output_tokens = CASE WHEN i.incoming_first THEN coalesce(i.output_tokens, c.output_tokens) ELSE coalesce(c.output_tokens, i.output_tokens) END,
    reasoning_tokens = CASE WHEN i.incoming_first THEN coalesce(i.reasoning_tokens, c.reasoning_tokens) ELSE coalesce(c.reasoning_tokens, i.reasoning_tokens) END,
    cache_write_tokens = CASE WHEN i.incoming_first THEN coalesce(i.cache_write_tokens, c.cache_write_tokens) ELSE coalesce(c.cache_write_tokens, i.cache_write_tokens) END,
    finish_reason = CASE WHEN i.incoming_first THEN coalesce(i.finish_reason, c.finish_reason) ELSE coalesce(c.finish_reason, i.finish_reason) END,
    response_id = CASE WHEN i.incoming_first THEN coalesce(i.response_id, c.response_id) ELSE coalesce(c.response_id, i.response_id) END,
    apim_subscription = CASE WHEN i.incoming_first THEN coalesce(i.apim_subscription, c.apim_subscription) ELSE coalesce(c.apim_subscription, i.apim_subscription) END,
    request_id = CASE WHEN i.incoming_first THEN coalesce(i.request_id, c.request_id) ELSE coalesce(c.request_id, i.request_id) END,
    service_tier = CASE WHEN i.incoming_first THEN coalesce(i.service_tier, c.service_tier) ELSE coalesce(c.service_tier, i.service_tier) END,
    service_tier_requested = CASE WHEN i.incoming_first THEN coalesce(i.service_tier_requested, c.service_tier_requested) ELSE coalesce(c.service_tier_requested, i.service_tier_requested) END,
    backend = CASE WHEN i.incoming_first THEN coalesce(i.backend, c.backend) ELSE coalesce(c.backend, i.backend) END,
    failover_from = CASE WHEN i.incoming_first THEN coalesce(i.failover_from, c.failover_from) ELSE coalesce(c.failover_from, i.failover_from) END,
    attempts = CASE WHEN i.incoming_first THEN coalesce(i.attempts, c.attempts) ELSE coalesce(c.attempts, i.attempts) END,
    spillover = CASE WHEN i.incoming_first THEN coalesce(i.spillover, c.spillover) ELSE coalesce(c.spillover, i.spillover) END,
    spillover_from = CASE WHEN i.incoming_first THEN coalesce(i.spillover_from, c.spillover_from) ELSE coalesce(c.spillover_from, i.spillover_from) END,
    deployment = CASE
        WHEN c.deployment_source = 'unknown' OR (i.incoming_first AND i.deployment_source <> 'unknown')
            THEN i.deployment
        ELSE c.deployment
    END,
    deployment_source = CASE
        WHEN c.deployment_source = 'unknown' OR (i.incoming_first AND i.deployment_source <> 'unknown')
            THEN i.deployment_source
        ELSE c.deployment_source
    END,
    status = CASE WHEN i.incoming_first THEN i.status ELSE c.status END,
    filter_action = CASE
        WHEN c.filter_action = 'none' OR (i.incoming_first AND i.filter_action <> 'none')
            THEN i.filter_action
        ELSE c.filter_action
    END,
    attributes = CASE
        WHEN i.incoming_first THEN json_merge_patch(coalesce(c.attributes, '{}'), coalesce(i.attributes, '{}'))
        ELSE json_merge_patch(coalesce(i.attributes, '{}'), coalesce(c.attributes, '{}'))
    END,
    -- A source that logs every call says this row is one call, whatever a sampled source
    -- said: the calls the sampled source left out are that source's other rows.
    sample_weight = least(coalesce(c.sample_weight, 1.0), coalesce(i.sample_weight, 1.0)),
    also_seen_by = CASE
        WHEN i.source = c.source THEN c.also_seen_by
        ELSE list_distinct(list_append(coalesce(c.also_seen_by, []), i.source))
    END
FROM (
    SELECT x.stored_id, x.incoming_first, n.* REPLACE (CAST(n.attributes AS JSON) AS attributes)
    FROM call_matches AS x
    JOIN incoming_calls AS n ON n.call_id = x.incoming_id
) AS i
WHERE c.start_time BETWEEN $window_start AND $window_end
    AND c.call_key = call_key_of(i.stored_id)
    AND c.call_id = i.stored_id;
