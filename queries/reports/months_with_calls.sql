-- name: months_with_calls
-- returns: month (YYYY-MM of each UTC calendar month in [$start, $end) that has calls, in the ledger or in Log Analytics rollups; newest first)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
SELECT DISTINCT strftime(day, '%Y-%m') AS month
FROM usage_source($start, $end, false)
ORDER BY month DESC;
