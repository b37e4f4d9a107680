-- name: set_checkpoint_threshold
-- returns: nothing; the size of write-ahead log at which a commit checkpoints the file (Store.CHECKPOINT_THRESHOLD), for the whole database
-- params: $size VARCHAR
SET checkpoint_threshold = $size;
