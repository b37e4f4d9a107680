-- name: record_price_book_version
-- returns: nothing; the newest recorded version is the one in force
-- params: $version VARCHAR, $source VARCHAR
INSERT INTO price_book_versions (version, source) VALUES ($version, $source);
