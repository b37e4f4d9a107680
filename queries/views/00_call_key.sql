-- name: 00_call_key
-- returns: scalar macro call_key_of(call_id), the key calls.call_key holds for a call id: the high 64 bits of md5_number(call_id)
-- params:
-- The same value as DuckDB's md5_number_lower(call_id), which goes through a bit string and
-- costs three times as much (tests/sql/test_call_merge.py holds the two equal). Calls are
-- found by call_key (8 bytes) before call_id (040_calls_keyed_by_hash.sql).
CREATE OR REPLACE MACRO call_key_of(call_id) AS (md5_number(call_id) >> 64)::UBIGINT;
