-- name: open_latency_hours
-- returns: nothing; names the given UTC hours in latency_open_hours (those not named yet): the calls a commit inserts in those hours are not counted in the latency sketch until the hour is sealed
-- params: $hours TIMESTAMPTZ[]
INSERT INTO latency_open_hours (hour)
SELECT DISTINCT unnest($hours) AS hour
EXCEPT
SELECT hour FROM latency_open_hours;
