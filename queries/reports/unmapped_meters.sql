-- name: unmapped_meters
-- returns: read_at, meter, product, unit, reason (one row per Azure meter the last price refresh could not map, by meter)
-- params:
SELECT read_at, meter, product, unit, reason FROM unmapped_meters ORDER BY meter, product;
