-- name: safety_totals
-- returns: calls, blocked_prompts, filtered_completions, annotated, incidents, incident_rate, incident_cost_usd (one row, for the scope of the registered relation scoped_usage)
-- params:
-- An incident is a prompt blocked (HTTP 400 content_filter) or a completion filtered
-- (finish_reason content_filter). Annotated calls passed with verdicts attached.
SELECT
    coalesce(sum(requests), 0) AS calls,
    coalesce(sum(requests) FILTER (WHERE filter_action = 'blocked_prompt'), 0)
        AS blocked_prompts,
    coalesce(sum(requests) FILTER (WHERE filter_action = 'filtered_completion'), 0)
        AS filtered_completions,
    coalesce(sum(requests) FILTER (WHERE filter_action = 'annotated'), 0) AS annotated,
    coalesce(sum(requests) FILTER (
        WHERE filter_action IN ('blocked_prompt', 'filtered_completion')), 0) AS incidents,
    coalesce(sum(requests) FILTER (
        WHERE filter_action IN ('blocked_prompt', 'filtered_completion'))
        / nullif(sum(requests), 0), 0) AS incident_rate,
    coalesce(sum(payg_cost_usd) FILTER (
        WHERE filter_action IN ('blocked_prompt', 'filtered_completion')), 0)
        AS incident_cost_usd
FROM scoped_usage;
