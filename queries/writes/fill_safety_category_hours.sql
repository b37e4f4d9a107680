-- name: fill_safety_category_hours
-- returns: nothing; the category cells of the hours in $hours summed from their calls and verdicts into safety_category_hourly (after clear_safety_category_hours); $first and $last + 1 hour bound them
-- params: $hours TIMESTAMPTZ[], $first TIMESTAMPTZ, $last TIMESTAMPTZ
INSERT INTO safety_category_hourly BY NAME
SELECT * EXCLUDE (end_user_key)
FROM safety_category_cells($first, $last + INTERVAL 1 hour)
WHERE list_contains($hours, hour);
