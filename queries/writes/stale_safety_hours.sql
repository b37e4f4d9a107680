-- name: stale_safety_hours
-- returns: hours (the whole hours in [$start, $end) the verdict summary does not answer for, in order: they may have cells it does not hold at the ledger's fingerprints now, or it holds cells of an hour that no longer has any), end_user_rules (whether a tenant rule reads end users, which the summary does not keep) (one row)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
SELECT
    coalesce(
        (SELECT list(hour ORDER BY hour) FROM safety_stale_hours($start, $end)),
        CAST([] AS TIMESTAMPTZ[])
    ) AS hours,
    (SELECT end_user FROM tenant_rule_kinds) AS end_user_rules;
