-- name: hinted_calls
-- returns: the calls of the registered relation incoming_calls, each whose deployment is unknown or only the request model taking it from a child HTTP span stored earlier in call_hints (deployment_source url_path; api_version, endpoint and http_status where the call has none)
-- params: $window_start TIMESTAMPTZ, $window_end TIMESTAMPTZ
-- A SimpleSpanProcessor exports each span when it ends: the child HTTP span, which names
-- the deployment in its URL, arrives before its model-call span does. A hint is received
-- after its child span started, so received_at bounds it too: the zone maps of the table,
-- written in the order hints arrive, then skip the hints of other hours (decision 0040).
WITH hints AS (
    SELECT call_id, arg_max(struct_pack(deployment, api_version, endpoint, http_status),
                            coalesce(start_time, received_at)) AS hint
    FROM call_hints
    WHERE coalesce(start_time, received_at) BETWEEN $window_start AND $window_end
        AND received_at >= $window_start
    GROUP BY call_id
)
SELECT
    i.* REPLACE (
        CASE WHEN h.hint IS NOT NULL THEN h.hint.deployment ELSE i.deployment END AS deployment,
        CASE WHEN h.hint IS NOT NULL THEN 'url_path' ELSE i.deployment_source END
            AS deployment_source,
        coalesce(i.api_version, h.hint.api_version) AS api_version,
        coalesce(i.endpoint, h.hint.endpoint) AS endpoint,
        coalesce(i.http_status, h.hint.http_status) AS http_status
    )
FROM incoming_calls AS i
LEFT JOIN hints AS h
    ON h.call_id = i.call_id AND i.deployment_source IN ('unknown', 'request_model');
