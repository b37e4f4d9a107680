-- name: insert_filter_results
-- returns: count of rows inserted; reads the registered relation incoming_filter_results
-- params:
INSERT OR IGNORE INTO filter_results BY NAME
SELECT * FROM incoming_filter_results;
