-- name: 047_verdict_details
-- returns: nothing (migration): filter_results.details (JSON: what a verdict says beyond filtered/severity/detected) and filter_results.intervention_point (user_input | output | tool_call | tool_response)
-- params:
-- details holds the verdict's other fields as Azure sent them: personal data entity
-- types, ungrounded material offsets and reasoning, a protected code citation (URL and
-- licence), a blocklist id. NULL when the verdict says nothing more.
-- intervention_point is where the guardrail looked. Verdicts that do not name it are read
-- from their target: a prompt verdict is user_input, a completion verdict is output.
ALTER TABLE filter_results ADD COLUMN details JSON;
ALTER TABLE filter_results ADD COLUMN intervention_point VARCHAR;

UPDATE filter_results
SET intervention_point = CASE target WHEN 'prompt' THEN 'user_input' ELSE 'output' END;
