-- name: match_calls_by_request_id
-- returns: incoming_id, stored_id: each incoming call (registered relation incoming_calls) not stored under its own call_id whose request_id is that of a stored call (one row per incoming call)
-- params:
SELECT i.call_id AS incoming_id, min(c.call_id) AS stored_id
FROM incoming_calls AS i
JOIN calls AS c ON c.request_id = i.request_id AND c.call_id <> i.call_id
WHERE i.request_id IS NOT NULL
    AND i.call_id NOT IN (SELECT call_id FROM calls WHERE request_id IS NOT NULL)
GROUP BY i.call_id;
