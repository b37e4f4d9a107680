-- name: set_vacuum_tasks
-- returns: nothing; how many vacuum tasks (row-group merges) a checkpoint may run, for the whole database: 0 during the store's ordinary checkpoints, DuckDB's default when it vacuums (Store.checkpoint)
-- params: $tasks BIGINT
SET max_vacuum_tasks = $tasks;
