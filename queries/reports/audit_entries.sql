-- name: audit_entries
-- returns: at, actor, role, action, target, detail (one row per audited action in [start, end), newest first; actions filtered by $actions unless it is empty)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $actions VARCHAR[]
SELECT "at", actor, role, action, target, CAST(detail AS VARCHAR) AS detail
FROM audit_log
WHERE "at" >= $start AND "at" < $end
    AND (len(CAST($actions AS VARCHAR[])) = 0 OR list_contains(CAST($actions AS VARCHAR[]), action))
ORDER BY "at" DESC, action;
