-- name: fill_safety_hours
-- returns: nothing; the fingerprints the ledger has now for the hours in $hours that may have cells, kept in safety_hours (after clear_safety_hours); $first and $last + 1 hour bound them
-- params: $hours TIMESTAMPTZ[], $first TIMESTAMPTZ, $last TIMESTAMPTZ
INSERT INTO safety_hours BY NAME
SELECT hour, usage_fp, verdict_fp
FROM safety_fingerprints($first, $last + INTERVAL 1 hour)
WHERE list_contains($hours, hour);
