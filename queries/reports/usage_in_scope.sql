-- name: usage_in_scope
-- returns: hour, day, deployment, model, deployment_type, service, filter_action, incident_end_user, tenant_id, requests, errors, throttled, unknown_deployment, synthetic, unknown_tokens, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, payg_cost_usd, priced, unpriced_reason (the rows of filtered_usage() for the scope: an hour's group of calls, or a call at the range's edges)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[]
-- Read once per scope and kept as the relation scoped_usage, which the Overview's and
-- Content safety's sums read (overview_totals.sql, spend_over_time.sql, ...).
SELECT *
FROM filtered_usage($start, $end, $tenants, $deployments, $models, $types, $services);
