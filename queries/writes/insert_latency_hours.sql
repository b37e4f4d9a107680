-- name: insert_latency_hours
-- returns: nothing; inserts the rows of the registered relation compacted_hours (latency_hours_of_days) into latency_hourly
-- params:
INSERT INTO latency_hourly BY NAME
SELECT * FROM compacted_hours;
