-- name: latency_open_hours
-- returns: hour (one row per UTC hour whose calls the latency sketch does not count yet)
-- params:
SELECT DISTINCT hour FROM latency_open_hours;
