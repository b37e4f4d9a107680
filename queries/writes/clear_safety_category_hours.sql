-- name: clear_safety_category_hours
-- returns: nothing; the category cells of the hours in $hours removed
-- params: $hours TIMESTAMPTZ[]
DELETE FROM safety_category_hourly WHERE list_contains($hours, hour);
