-- name: add_latency_daily
-- returns: nothing; appends the bucket counts per UTC day of the registered relation new_calls (the calls one commit really inserted) to latency_daily
-- params:
-- Run in the same transaction as add_latency_hourly; appended, summed by readers, as there.
INSERT INTO latency_daily BY NAME
SELECT * FROM daily_latency_of('new_calls');
