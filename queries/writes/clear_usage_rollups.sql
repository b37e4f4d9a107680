-- name: clear_usage_rollups
-- returns: nothing; the source's rollup hours in [$start, $end) removed before they are written again
-- params: $source VARCHAR, $start TIMESTAMPTZ, $end TIMESTAMPTZ
DELETE FROM usage_rollups WHERE source = $source AND hour >= $start AND hour < $end;
