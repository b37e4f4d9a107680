-- name: insert_filter_results
-- returns: nothing; reads the registered relation incoming_filter_results (verdicts of newly inserted calls only, each with its call's start_time)
-- params:
-- A verdict that does not name its intervention point takes its target's: a prompt is
-- user_input, a completion is output.
INSERT INTO filter_results BY NAME
SELECT * REPLACE (
    coalesce(
        intervention_point, CASE target WHEN 'prompt' THEN 'user_input' ELSE 'output' END
    ) AS intervention_point
)
FROM incoming_filter_results;
