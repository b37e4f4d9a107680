-- name: apply_call_hints
-- returns: nothing; the stored calls of the registered relation call_hinted (calls_to_hint's rows) take the deployment their child HTTP span names (deployment_source url_path), and its api_version and endpoint where they have none
-- params: $window_start TIMESTAMPTZ, $window_end TIMESTAMPTZ
UPDATE calls AS c SET
    deployment = h.deployment,
    deployment_source = 'url_path',
    api_version = coalesce(c.api_version, h.api_version),
    endpoint = coalesce(c.endpoint, h.endpoint)
FROM call_hinted AS h
WHERE c.start_time BETWEEN $window_start AND $window_end
    AND c.call_key = call_key_of(h.call_id)
    AND c.call_id = h.call_id;
