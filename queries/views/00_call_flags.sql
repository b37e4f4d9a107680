-- name: 00_call_flags
-- returns: scalar macro synthetic_call(attributes): whether a call's attributes mark it synthetic (demo history, demo live traffic, or an answer of the built-in simulator)
-- params:
-- The demo history and live traffic of `aoai-lens serve --demo` carry the resource attribute
-- lens.demo; answers of the built-in simulator say azure.openai.simulated. The LIKE tests
-- skip the JSON parse for the calls that mention neither.
CREATE OR REPLACE MACRO synthetic_call(attributes) AS
    (CAST(attributes AS VARCHAR) LIKE '%lens.demo%'
        AND json_extract_string(attributes, '$.resource."lens.demo"') = 'true')
    OR (CAST(attributes AS VARCHAR) LIKE '%azure.openai.simulated%'
        AND json_extract_string(attributes, '$."azure.openai.simulated"') = 'true');
