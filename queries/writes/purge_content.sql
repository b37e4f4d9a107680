-- name: purge_content
-- returns: nothing; removes the message content attributes ($content_keys, a regular expression over attribute names) of the calls that started in [$after, $before) (a null $after: from the first), marking them lens.content_purged
-- params: $after TIMESTAMPTZ, $before TIMESTAMPTZ, $content_keys VARCHAR
-- A JSON merge patch whose content keys are null removes them; the call's row stays.
UPDATE calls
SET attributes = json_merge_patch(
    attributes,
    json_merge_patch(
        (SELECT json_group_object(k, NULL::JSON)
         FROM unnest(json_keys(attributes)) AS t(k)
         WHERE regexp_matches(k, $content_keys)),
        json_object('lens.content_purged', true)))
WHERE ($after IS NULL OR start_time >= $after) AND start_time < $before
    AND list_bool_or(list_transform(json_keys(attributes),
                                    lambda k: regexp_matches(k, $content_keys)));
