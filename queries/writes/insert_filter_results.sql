-- name: insert_filter_results
-- returns: nothing; reads the registered relation incoming_filter_results (verdicts already stored are ignored)
-- params:
INSERT OR IGNORE INTO filter_results BY NAME
SELECT * FROM incoming_filter_results;
