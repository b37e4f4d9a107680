-- name: call_hints_waiting
-- returns: waiting: whether any child-span hint waits for its model call
-- params:
SELECT EXISTS (SELECT 1 FROM call_hints) AS waiting;
