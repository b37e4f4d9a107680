-- name: clear_busiest_minutes
-- returns: nothing; the rows of busiest_minutes of the given hours and deployments ($hours[i] with $deployments[i]) removed
-- params: $hours TIMESTAMPTZ[], $deployments VARCHAR[]
DELETE FROM busiest_minutes
WHERE (hour, deployment) IN (SELECT (unnest($hours), unnest($deployments)));
