-- name: insert_filter_results
-- returns: nothing; reads the registered relation incoming_filter_results (verdicts of newly inserted calls only, each with its call's start_time)
-- params:
INSERT INTO filter_results BY NAME
SELECT * FROM incoming_filter_results;
