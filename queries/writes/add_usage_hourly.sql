-- name: add_usage_hourly
-- returns: nothing; appends the sums of the registered relation new_calls (the calls one commit really inserted) to usage_hourly, one row per hour and keys
-- params:
-- Run in the same transaction as the insert. Rows are appended, not merged: readers sum the
-- rows of an hour and keys, and fold_usage_days sums them into one row again.
INSERT INTO usage_hourly BY NAME
SELECT * FROM hourly_usage_of('new_calls');
