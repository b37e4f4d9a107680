-- name: insert_usage_hours
-- returns: nothing; inserts the rows of the registered relation folded_hours (usage_hours_of_days) into usage_hourly
-- params:
INSERT INTO usage_hourly BY NAME
SELECT * FROM folded_hours;
