-- name: duplicate_verdicts
-- returns: call_id, target, idx, category, copies (one row per verdict stored more than once; must be none)
-- params:
SELECT call_id, target, idx, category, count(*) AS copies
FROM filter_results
GROUP BY ALL
HAVING count(*) > 1
ORDER BY call_id, target, idx, category;
