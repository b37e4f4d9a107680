-- name: calls_to_hint
-- returns: call_id, deployment, api_version, endpoint: each stored call with a start time in [$window_start, $window_end] whose deployment is unknown or only the request model, and what a child HTTP span of the registered relation incoming_hints says of it (the child that started last)
-- params: $window_start TIMESTAMPTZ, $window_end TIMESTAMPTZ
SELECT
    c.call_id,
    arg_max(h.deployment, h.start_time) AS deployment,
    arg_max(h.api_version, h.start_time) AS api_version,
    arg_max(h.endpoint, h.start_time) AS endpoint
FROM (
    SELECT call_key, call_id FROM calls
    WHERE start_time BETWEEN $window_start AND $window_end
        AND deployment_source IN ('unknown', 'request_model')
) AS c
JOIN incoming_hints AS h
    ON c.call_key = call_key_of(h.call_id) AND c.call_id = h.call_id
GROUP BY c.call_id;
