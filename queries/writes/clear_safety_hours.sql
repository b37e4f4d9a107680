-- name: clear_safety_hours
-- returns: nothing; the fingerprints of the verdict summary's hours in $hours removed
-- params: $hours TIMESTAMPTZ[]
DELETE FROM safety_hours WHERE list_contains($hours, hour);
