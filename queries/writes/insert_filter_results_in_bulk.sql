-- name: insert_filter_results_in_bulk
-- returns: nothing; inserts rows_in_hand, the verdicts of newly inserted calls only (queries.execute_over), each with its call's start_time
-- params:
-- A verdict that does not name its intervention point takes its target's: a prompt is
-- user_input, a completion is output.
-- insert_filter_results for more rows than a commit of the ingest queue holds (a Log Analytics
-- pull's): planned as DuckDB's batch insert, whose threads convert them faster than
-- the plain insert of the other file (decision 0041).
INSERT INTO filter_results BY NAME
SELECT * REPLACE (
    coalesce(
        intervention_point, CASE target WHEN 'prompt' THEN 'user_input' ELSE 'output' END
    ) AS intervention_point
)
FROM rows_in_hand;
