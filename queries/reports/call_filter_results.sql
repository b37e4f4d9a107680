-- name: call_filter_results
-- returns: target, intervention_point, idx, category, severity, filtered, detected, citation_url, licence, entity_types, details (one row per verdict of the call)
-- params: $call_id VARCHAR, $start TIMESTAMPTZ
-- $start is the call's start_time: only the verdicts written near it are read
-- (033_verdict_time.sql). From details (047_verdict_details.sql): a protected code
-- citation's URL and licence, and the entity types a personal data verdict lists (each
-- detail's category, type or entity_type, as sent); details keeps the whole JSON.
SELECT
    target,
    intervention_point,
    idx,
    category,
    severity,
    filtered,
    detected,
    json_extract_string(details, '$.citation.URL') AS citation_url,
    json_extract_string(details, '$.citation.license') AS licence,
    nullif(
        array_to_string(
            list_sort(list_distinct(list_filter(
                json_extract_string(details, '$.details[*].category')
                || json_extract_string(details, '$.details[*].type')
                || json_extract_string(details, '$.details[*].entity_type'),
                lambda x: x IS NOT NULL
            ))),
            ', '
        ),
        ''
    ) AS entity_types,
    CAST(details AS VARCHAR) AS details
FROM filter_results
WHERE call_id = $call_id
    AND start_time >= $start - INTERVAL 1 day AND start_time < $start + INTERVAL 1 day
ORDER BY target DESC, idx, category;
