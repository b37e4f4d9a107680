-- name: insert_filter_results
-- returns: one NULL a row inserted, dropped (it only chooses the plan: see below); inserts rows_in_hand, the verdicts of newly inserted calls only (queries.execute_over), each with its call's start_time
-- params:
-- A verdict that does not name its intervention point takes its target's: a prompt is
-- user_input, a completion is output.
-- RETURNING NULL (the result is dropped) makes DuckDB plan a plain insert: on more than
-- one thread it plans a batch insert, whose per-thread row collections cost a commit's
-- few thousand rows more than they save (decision 0041).
INSERT INTO filter_results BY NAME
SELECT * REPLACE (
    coalesce(
        intervention_point, CASE target WHEN 'prompt' THEN 'user_input' ELSE 'output' END
    ) AS intervention_point
)
FROM rows_in_hand
RETURNING NULL;
