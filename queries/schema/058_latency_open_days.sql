-- name: 058_latency_open_days
-- returns: nothing (migration): latency_open_days, the UTC days whose calls the latency sketch does not count yet (readers read those days' calls instead)
-- params:
-- A commit no longer appends latency sketch rows for the calls it inserts; it names their
-- days here (docs/decisions/0042-latency-sketch-sealed-by-day.md). The store seals the
-- days that are over (counts them into latency_hourly and latency_daily from their calls,
-- and removes them from this table) at most every ten minutes. Until then a day's sketch
-- rows, if it has any from before, are not read: latency_source() reads its calls. The
-- sketch of every day stored before this migration counts all of that day's calls, so the
-- table starts empty.
CREATE TABLE latency_open_days (
    day DATE NOT NULL  -- a UTC day; a day is named at most once
);
