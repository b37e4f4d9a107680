-- name: spilled_calls
-- returns: deployment (the provisioned deployment that spilled), spilled (calls its standard deployment served for it; one row per provisioned deployment that spilled in [$start, $end))
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
-- A spilled call is stored as the standard deployment that served it, with spillover true
-- and spillover_from naming the provisioned deployment (049_call_routing.sql); the savings
-- advisor counts them beside the provisioned deployment's 429s as evidence that it is short.
SELECT
    spillover_from AS deployment,
    weighted(sum(call_weight(sample_weight))) AS spilled
FROM calls
WHERE start_time >= $start AND start_time < $end
    AND spillover AND spillover_from IS NOT NULL
GROUP BY spillover_from
ORDER BY deployment;
