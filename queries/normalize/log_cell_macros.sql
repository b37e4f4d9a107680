-- name: log_cell_macros
-- returns: nothing; defines how the *_calls normalisers read a Log Analytics cell, on the private in-memory database that runs them (queries.run_detached)
-- params:
-- A cell is typed as its column says (collectors/loganalytics/decode.py), or is text when
-- the column held values of mixed types; each macro reads either.

-- Text, or NULL for NULL and ''.
CREATE OR REPLACE TEMP MACRO cell_text(x) AS nullif(CAST(x AS VARCHAR), '');

-- A token count: a number or its text, whole part; NULL when negative, above most, or
-- not a number (true/false are not counts).
CREATE OR REPLACE TEMP MACRO cell_count(x, most) AS
    CASE WHEN TRY_CAST(CAST(x AS VARCHAR) AS DOUBLE) BETWEEN 0 AND most
         THEN CAST(trunc(TRY_CAST(CAST(x AS VARCHAR) AS DOUBLE)) AS BIGINT) END;

-- An HTTP status: a count from 100 to 599.
CREATE OR REPLACE TEMP MACRO cell_status(x) AS
    CASE WHEN TRY_CAST(CAST(x AS VARCHAR) AS DOUBLE) BETWEEN 100 AND 599
         THEN CAST(trunc(TRY_CAST(CAST(x AS VARCHAR) AS DOUBLE)) AS INTEGER) END;

-- A token count in a JSON object's member: a number, its text, or the first element of an
-- array of them ({"promptTokens": [812]}).
CREATE OR REPLACE TEMP MACRO usage_count(doc, member, most) AS coalesce(
    cell_count(json_extract_string(doc, '$.' || member || '[0]'), most),
    cell_count(json_extract_string(doc, '$.' || member), most)
);

CREATE OR REPLACE TEMP MACRO cell_float(x) AS TRY_CAST(CAST(x AS VARCHAR) AS DOUBLE);

-- ISO 8601 text (KQL sends up to 7 fractional digits; microseconds are kept) in UTC; a
-- time without an offset is UTC.
CREATE OR REPLACE TEMP MACRO cell_time(x) AS TRY_CAST(CAST(x AS VARCHAR) AS TIMESTAMPTZ);

-- The host of an absolute URL, lower case, without user info, port or IPv6 brackets.
CREATE OR REPLACE TEMP MACRO url_host(u) AS nullif(lower(trim(regexp_extract(
    regexp_extract(u, '^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)', 1),  -- the authority
    '([^@\[:]*|\[[^\]]*\])(:[0-9]*)?$', 1
), '[]')), '');

-- One member of a JSON object, "key":value, or NULL when the value is NULL. An attributes
-- object is '{' || concat_ws(',', json_member(...), ...) || '}': members that are NULL are
-- left out, and no members make {}.
CREATE OR REPLACE TEMP MACRO json_member(key, value) AS
    CASE WHEN value IS NOT NULL
         THEN CAST(to_json(key) AS VARCHAR) || ':' || CAST(to_json(value) AS VARCHAR) END;
