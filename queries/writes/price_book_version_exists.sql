-- name: price_book_version_exists
-- returns: found (one row: whether the version is already loaded)
-- params: $version VARCHAR
SELECT count(*) > 0 AS found FROM price_book_versions WHERE version = $version;
