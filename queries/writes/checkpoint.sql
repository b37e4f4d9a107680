-- name: checkpoint
-- returns: nothing; what the write-ahead log holds written into the database file (Store.checkpoint)
-- params:
CHECKPOINT;
