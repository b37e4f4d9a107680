-- name: purge_counts
-- returns: calls, verdicts, contents (one row: the calls that started before $calls_before, their verdicts, and the other calls that started in [$content_after, $content_before) and hold message content, $content_keys naming its attributes; a null $content_after: from the first)
-- params: $calls_before TIMESTAMPTZ, $content_after TIMESTAMPTZ, $content_before TIMESTAMPTZ, $content_keys VARCHAR
SELECT
    (SELECT count(*) FROM calls WHERE start_time < $calls_before) AS calls,
    (SELECT count(*) FROM filter_results
     WHERE call_id IN (SELECT call_id FROM calls WHERE start_time < $calls_before)) AS verdicts,
    (SELECT count(*) FROM calls
     WHERE start_time >= $calls_before
         AND ($content_after IS NULL OR start_time >= $content_after)
         AND start_time < $content_before
         AND list_bool_or(list_transform(json_keys(attributes),
                                         lambda k: regexp_matches(k, $content_keys)))
    ) AS contents;
