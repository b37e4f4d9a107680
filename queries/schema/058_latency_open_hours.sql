-- name: 058_latency_open_hours
-- returns: nothing (migration): latency_open_hours, the UTC hours whose calls the latency sketch does not count yet (readers read those hours' calls instead)
-- params:
-- A commit no longer appends latency sketch rows for the calls it inserts; it names their
-- hours here (docs/decisions/0042-latency-sketch-sealed-by-hour.md). The store seals the
-- hours that are over (counts them into latency_hourly from their calls, sums their days
-- into latency_daily again, and removes them from this table) at most every ten minutes.
-- Until then an hour's sketch rows, if it has any from before, are not read, nor the
-- daily rows of its day: latency_source() reads its calls. The sketch of every hour stored
-- before this migration counts all of that hour's calls, so the table starts empty.
CREATE TABLE latency_open_hours (
    hour TIMESTAMPTZ NOT NULL  -- the start of a UTC hour; an hour is named at most once
);
