-- name: duplicate_calls
-- returns: call_id, copies (one row per call stored more than once; must be none)
-- params:
SELECT call_id, count(*) AS copies
FROM calls
GROUP BY call_id
HAVING count(*) > 1
ORDER BY call_id;
