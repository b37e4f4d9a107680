-- name: 043_retention
-- returns: nothing (migration): retention_state, one row saying how far retention has purged calls and verdicts, and message content
-- params:
-- Calls and their verdicts that started before calls_purged_before (a UTC midnight) are
-- deleted; the hourly usage summary keeps their hours, so chargeback of those months does
-- not change. Calls that started before content_purged_before keep their row without their
-- message content. NULL: nothing purged yet.
CREATE TABLE retention_state (
    calls_purged_before    TIMESTAMPTZ,
    content_purged_before  TIMESTAMPTZ,
    purged_at              TIMESTAMPTZ
);

INSERT INTO retention_state VALUES (NULL, NULL, NULL);
