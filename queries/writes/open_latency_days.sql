-- name: open_latency_days
-- returns: nothing; names the given UTC days in latency_open_days (those not named yet): the calls a commit inserts on those days are not counted in the latency sketch until the day is sealed
-- params: $days DATE[]
INSERT INTO latency_open_days (day)
SELECT DISTINCT unnest($days) AS day
EXCEPT
SELECT day FROM latency_open_days;
