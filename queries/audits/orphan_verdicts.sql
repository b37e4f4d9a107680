-- name: orphan_verdicts
-- returns: call_id, verdicts (one row per call id with verdicts but no call; must be none)
-- params:
SELECT f.call_id, count(*) AS verdicts
FROM filter_results AS f
ANTI JOIN calls AS c USING (call_id)
GROUP BY ALL
ORDER BY f.call_id;
