-- name: latency_open_days
-- returns: day (one row per UTC day whose calls the latency sketch does not count yet, oldest first)
-- params:
SELECT DISTINCT day FROM latency_open_days ORDER BY day;
