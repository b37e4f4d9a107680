-- name: attach_ledger
-- returns: nothing; opens the ledger file $path as the database ledger (use_ledger makes it each cursor's default), its new row groups 16,384 rows
-- params: $path VARCHAR
-- A checkpoint writes the rows appended since the one before as new row groups, and DuckDB
-- merges partly filled ones into full ones at later checkpoints: at the default 122,880
-- rows a group, a row was rewritten several times over; at 16,384 a checkpoint leaves
-- mostly full groups (docs/decisions/0027-arrow-sums-and-cheaper-commits.md). The size is
-- an option of ATTACH only, not kept in the file: the store opens its file so each time.
ATTACH $path AS ledger (ROW_GROUP_SIZE 16384);
