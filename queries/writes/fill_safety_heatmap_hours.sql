-- name: fill_safety_heatmap_hours
-- returns: nothing; the heat map cells of the hours in $hours summed from their calls and verdicts into safety_heatmap_hourly (after clear_safety_heatmap_hours); $first and $last + 1 hour bound them
-- params: $hours TIMESTAMPTZ[], $first TIMESTAMPTZ, $last TIMESTAMPTZ
INSERT INTO safety_heatmap_hourly BY NAME
SELECT * EXCLUDE (end_user_key)
FROM safety_heatmap_cells($first, $last + INTERVAL 1 hour)
WHERE list_contains($hours, hour);
