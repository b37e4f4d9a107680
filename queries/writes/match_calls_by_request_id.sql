-- name: match_calls_by_request_id
-- returns: incoming_id, stored_id: each incoming call (registered relation incoming_calls) not stored under its own call_id whose request_id is that of a call stored with a start time in [$window_start, $window_end] (one row per incoming call)
-- params: $window_start TIMESTAMPTZ, $window_end TIMESTAMPTZ
-- Two sources report the same call within minutes of each other: the window around the
-- batch (a day either side) holds it, and nothing older is read.
WITH near AS (
    SELECT call_id, request_id FROM calls WHERE start_time BETWEEN $window_start AND $window_end
)
SELECT i.call_id AS incoming_id, min(c.call_id) AS stored_id
FROM incoming_calls AS i
JOIN near AS c ON c.request_id = i.request_id AND c.call_id <> i.call_id
WHERE i.request_id IS NOT NULL
    AND i.call_id NOT IN (SELECT call_id FROM near WHERE request_id IS NOT NULL)
GROUP BY i.call_id;
