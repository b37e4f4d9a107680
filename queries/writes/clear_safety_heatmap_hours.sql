-- name: clear_safety_heatmap_hours
-- returns: nothing; the heat map cells of the hours in $hours removed
-- params: $hours TIMESTAMPTZ[]
DELETE FROM safety_heatmap_hourly WHERE list_contains($hours, hour);
