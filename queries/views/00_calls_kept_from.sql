-- name: 00_calls_kept_from
-- returns: macro calls_kept_from(): the time from which the ledger holds every call (retention deleted those before), or -infinity when nothing was purged
-- params:
-- The hourly usage summary keeps the hours before it: it is compared with the calls, and
-- summed again from them, only from this time on.
CREATE OR REPLACE MACRO calls_kept_from() AS (
    SELECT coalesce(max(calls_purged_before), TIMESTAMPTZ '-infinity') FROM retention_state
);
