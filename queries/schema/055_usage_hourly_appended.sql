-- name: 055_usage_hourly_appended
-- returns: nothing (migration): usage_hourly without a primary key, so each commit appends its sums instead of updating a row per key
-- params:
-- The upsert of each group commit (ON CONFLICT over the key's index) cost about as much as
-- inserting the calls themselves (docs/decisions/0022-usage-summary-appended.md). Readers
-- already sum usage_hourly's rows per hour and keys, so rows that repeat a key change no
-- answer; the store folds the hours commits appended to into one row per key
-- (fold_usage_days). The rows are kept as they are, every column added since 032 included.
CREATE TABLE usage_hourly_055 AS SELECT * FROM usage_hourly;

DROP TABLE usage_hourly;

ALTER TABLE usage_hourly_055 RENAME TO usage_hourly;
