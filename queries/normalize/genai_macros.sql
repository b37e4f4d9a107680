-- name: genai_macros
-- returns: nothing; defines how genai_spans.sql and genai_calls.sql read attribute text and merge verdicts, on the private in-memory database that runs them (queries.run_detached)
-- params:
-- An attribute read as text: a string as it is, a number or a bool as its JSON text.
-- Loaded after log_cell_macros.sql, whose url_host() it uses.

-- Text for a text column: NULL for NULL and '', at most 512 characters (collectors/limits.py).
CREATE OR REPLACE TEMP MACRO genai_text(x) AS left(nullif(x, ''), 512);

-- An HTTP status: exactly three ASCII digits from 100 to 599.
CREATE OR REPLACE TEMP MACRO genai_status_of(x) AS
    CASE WHEN regexp_full_match(x, '[0-9]{3}') AND CAST(x AS INTEGER) BETWEEN 100 AND 599
         THEN CAST(x AS INTEGER) END;
CREATE OR REPLACE TEMP MACRO genai_status(a, b) AS coalesce(genai_status_of(a), genai_status_of(b));

-- A token count: ASCII digits, or an integral number (30.0); from 0 to most; else NULL.
CREATE OR REPLACE TEMP MACRO genai_count(t, most) AS
    CASE WHEN regexp_full_match(t, '[0-9]{1,18}') AND CAST(t AS BIGINT) <= most
             THEN CAST(t AS BIGINT)
         WHEN regexp_full_match(t, '-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?')
              AND TRY_CAST(t AS DOUBLE) = trunc(TRY_CAST(t AS DOUBLE))
              AND TRY_CAST(t AS DOUBLE) BETWEEN 0 AND most
             THEN CAST(TRY_CAST(t AS DOUBLE) AS BIGINT) END;

-- Why a present token count is not one.
CREATE OR REPLACE TEMP MACRO genai_count_problem(name, t, most) AS
    name || ' = ' || left(t, 60) || CASE
        WHEN regexp_full_match(t, '-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?')
             AND TRY_CAST(t AS DOUBLE) = trunc(TRY_CAST(t AS DOUBLE))
            THEN ' is not a plausible token count'
        ELSE ' is not an integer count' END;

-- The first finish reason of a JSON array, of a Python tuple's repr ("('stop',)", as the
-- Application Insights exporter writes arrays) or of one string; "()" and "[]" say none.
CREATE OR REPLACE TEMP MACRO genai_first_reason(t) AS
    CASE WHEN t IS NULL OR regexp_matches(t, '^[\(\[]\s*[\)\]]$') THEN NULL
         ELSE coalesce(nullif(regexp_extract(t, '^[\(\[]\s*''([^'']*)''', 1), ''),
                       nullif(regexp_extract(t, '^[\(\[]\s*"([^"]*)"', 1), ''),
                       t) END;

-- The JSON merge patch that masks the credentials of a JSON object: keys matching
-- key_pattern with a value that says something become "[redacted]"; in URL attributes, the
-- values of secret query parameters (query_pattern, its first group the name and "=") do.
CREATE OR REPLACE TEMP MACRO genai_masked(obj, key_pattern, query_pattern) AS
    CASE WHEN json_type(obj) = 'OBJECT'
         THEN to_json(map_from_entries(list_transform(
             list_filter(json_keys(obj), lambda k:
                 (regexp_matches(k, key_pattern)
                  AND coalesce(obj ->> k, '') NOT IN ('', 'None', 'null', '{}', '[]'))
                 OR (k IN ('url.full', 'http.url', 'url.query', 'gen_ai.openai.api_base')
                     AND regexp_matches(coalesce(obj ->> k, ''), query_pattern))),
             lambda k: struct_pack(
                 key := k,
                 value := CASE WHEN regexp_matches(k, key_pattern) THEN '[redacted]'
                               ELSE regexp_replace(obj ->> k, query_pattern, '\1[redacted]', 'g')
                          END))))
         ELSE CAST('{}' AS JSON) END;

-- The last part of an error type's dotted name: openai.RateLimitError -> RateLimitError.
CREATE OR REPLACE TEMP MACRO genai_error_name(e) AS list_last(string_split(e, '.'));
