-- name: record_unmapped_meters
-- returns: nothing; adds the meters of the registered relation incoming_unmapped (meter, product, unit, reason) as the list of the refresh read at $read_at (clear_unmapped_meters first)
-- params: $read_at TIMESTAMPTZ
INSERT INTO unmapped_meters BY NAME
SELECT $read_at AS read_at, meter, product, unit, reason
FROM incoming_unmapped;
