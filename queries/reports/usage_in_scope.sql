-- name: usage_in_scope
-- returns: hour, day, deployment, model, deployment_type, service, filter_action, incident_end_user, tenant_id, requests, errors, throttled, unknown_deployment, synthetic, unknown_tokens, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, payg_cost_usd, priced, unpriced_reason (the rows of filtered_usage() for the scope: a group of calls of $hours whole hours (1, 6 or 24: the scope's chart bucket, queries/scope.py), or a call at the range's edges)
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ, $tenants VARCHAR[], $deployments VARCHAR[], $models VARCHAR[], $types VARCHAR[], $services VARCHAR[], $hours INTEGER
-- Read once per scope and kept as the relation scoped_usage, which the Overview's and
-- Content safety's sums read (overview_totals.sql, spend_over_time.sql, ...). Whole hours
-- are summed per chart bucket before they are priced (usage_source()): the charts over
-- time read no finer buckets.
SELECT *
FROM filtered_usage(
    $start, $end, $tenants, $deployments, $models, $types, $services, hours := $hours
);
