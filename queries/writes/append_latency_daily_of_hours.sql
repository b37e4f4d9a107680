-- name: append_latency_daily_of_hours
-- returns: nothing; appends to latency_daily the rows of the registered relation summed_rows (latency_hourly's rows a commit appends) summed per UTC day, keys and bucket
-- params:
-- Run in the transaction that appends summed_rows to latency_hourly, on the same
-- registration; the sums of daily_latency_of_hours (queries/views/22_latency_source.sql),
-- written out here so the write path expands no macro.
INSERT INTO latency_daily BY NAME
SELECT
    CAST(hour AS DATE) AS day, deployment, model, deployment_type, tenant_id,
    apim_subscription, service, bucket,
    CAST(sum(duration_calls) AS INTEGER) AS duration_calls,
    CAST(sum(ttft_calls) AS INTEGER) AS ttft_calls,
    CAST(sum(speed_calls) AS INTEGER) AS speed_calls
FROM summed_rows
GROUP BY ALL;
