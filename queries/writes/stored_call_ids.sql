-- name: stored_call_ids
-- returns: call_id of each incoming call (registered relation incoming_calls) already stored under that call_id
-- params:
-- One join over the whole ledger: for large batches only (collectors/store.py BULK_CALLS).
SELECT i.call_id
FROM incoming_calls AS i
SEMI JOIN calls AS c ON c.call_id = i.call_id;
