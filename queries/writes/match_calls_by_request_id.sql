-- name: match_calls_by_request_id
-- returns: incoming_id, stored_id: each incoming call (registered relation incoming_calls) not stored under its own call_id whose request_id is that of a call stored with a start time in [$window_start, $window_end] (one row per incoming call)
-- params: $window_start TIMESTAMPTZ, $window_end TIMESTAMPTZ
-- Two sources report the same call within minutes of each other: the window around the
-- batch (writes.REPORT_PAD, an hour either side) holds it, and nothing older is read. Only
-- the stored calls that carry one of the incoming request ids are kept from the scan: a
-- live ledger holds many calls in the window, and each would otherwise be joined twice
-- (decision 0040). An incoming call stored under its own id carries its own request id,
-- so it is among them.
WITH near AS (
    SELECT call_id, request_id FROM calls
    WHERE start_time BETWEEN $window_start AND $window_end
        AND request_id IN (SELECT request_id FROM incoming_calls WHERE request_id IS NOT NULL)
)
SELECT i.call_id AS incoming_id, min(c.call_id) AS stored_id
FROM incoming_calls AS i
JOIN near AS c ON c.request_id = i.request_id AND c.call_id <> i.call_id
WHERE i.request_id IS NOT NULL
    AND i.call_id NOT IN (SELECT call_id FROM near)
GROUP BY i.call_id;
