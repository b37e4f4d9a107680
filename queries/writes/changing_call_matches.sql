-- name: changing_call_matches
-- returns: incoming_id, stored_id, incoming_first: the rows of the registered relation call_matches (one per stored_id) whose merge (merge_calls) changes the stored call: each report of another source, and each re-read that says something other than what is stored; reads the registered relation incoming_calls
-- params: $window_start TIMESTAMPTZ, $window_end TIMESTAMPTZ
-- A re-read that says what is stored already changes nothing: merge_calls skips it, and the
-- daily summary of its day needs no new sums.
SELECT x.incoming_id, x.stored_id, x.incoming_first
FROM call_matches AS x
JOIN incoming_calls AS i ON i.call_id = x.incoming_id
JOIN (SELECT * FROM calls WHERE start_time BETWEEN $window_start AND $window_end) AS c
    ON c.call_key = call_key_of(x.stored_id) AND c.call_id = x.stored_id
WHERE NOT x.incoming_first
    OR (c.input_tokens, c.cached_input_tokens, c.output_tokens, c.reasoning_tokens,
        c.status, c.http_status, c.duration_ms, c.deployment, c.model, c.request_id,
        c.apim_subscription, c.tenant_id, c.sample_weight, c.cache_write_tokens, c.service_tier)
    IS DISTINCT FROM
       (i.input_tokens, i.cached_input_tokens, i.output_tokens, i.reasoning_tokens,
        i.status, i.http_status, i.duration_ms, i.deployment, i.model, i.request_id,
        i.apim_subscription, i.tenant_id, i.sample_weight, i.cache_write_tokens, i.service_tier);
