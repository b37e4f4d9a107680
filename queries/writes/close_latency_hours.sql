-- name: close_latency_hours
-- returns: nothing; removes the given UTC hours, or every hour when $hours is null, from latency_open_hours, once the latency sketch counts their calls (a seal, or a rebuild)
-- params: $hours TIMESTAMPTZ[]
DELETE FROM latency_open_hours WHERE $hours IS NULL OR list_contains($hours, hour);
