-- name: batch_candidates
-- returns: service, tenant_id, requests, streamed_calls, end_user_calls, p50_duration_ms, payg_cost_usd, batch_cost_usd, eligible, reason (one row per calling service x tenant with pay-as-you-go calls in [$start, $end))
-- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
-- Traffic that could move to Batch (or Flex): a service is taken as not interactive when
-- none of its calls in the range was streamed (no time to first token) and none named an
-- end user; it must name itself (service.name), since an unnamed caller may be anything.
-- Only Global and Data Zone standard deployments have a Batch counterpart (GlobalBatch,
-- DataZoneBatch); batch_cost_usd is the spend times the Batch type's multiplier over the
-- current type's (deployment_types), e.g. 0.5 / 1.0 for GlobalStandard; spend on regional
-- deployments stays as it is.
WITH pattern AS (
    SELECT
        coalesce(c.service, '') AS service,
        CAST(sum(call_weight(c.sample_weight)) FILTER (WHERE c.ttft_ms IS NOT NULL) AS BIGINT)
            AS streamed_calls,
        CAST(sum(call_weight(c.sample_weight)) FILTER (WHERE c.end_user IS NOT NULL) AS BIGINT)
            AS end_user_calls,
        CAST(median(c.duration_ms) AS DOUBLE) AS p50_duration_ms
    FROM calls AS c
    WHERE c.start_time >= $start AND c.start_time < $end
    GROUP BY ALL
),
spend AS (
    SELECT
        k.service,
        t.tenant_id,
        CAST(sum(k.requests) AS BIGINT) AS requests,
        CAST(sum(k.payg_cost_usd) AS DOUBLE) AS payg_cost_usd,
        CAST(sum(k.payg_cost_usd * coalesce(b.multiplier / nullif(d.multiplier, 0), 1))
            AS DOUBLE) AS batch_cost_usd,
        CAST(coalesce(sum(k.payg_cost_usd) FILTER (WHERE b.multiplier IS NOT NULL), 0)
            AS DOUBLE) AS batchable_usd
    FROM costed_usage($start, $end, false) AS k
    JOIN call_tenant_keys AS t USING (tenant_attr, apim_key, end_user_key, deployment, service_key)
    JOIN deployment_types AS d ON d.deployment_type = k.billed_type
    LEFT JOIN deployment_types AS b ON b.deployment_type = CASE k.billed_type
        WHEN 'GlobalStandard' THEN 'GlobalBatch'
        WHEN 'DataZoneStandard' THEN 'DataZoneBatch'
    END
    WHERE k.billing = 'tokens' AND k.billed_type NOT LIKE '%Batch'
    GROUP BY ALL
    HAVING sum(k.payg_cost_usd) > 0
)
SELECT
    s.service,
    s.tenant_id,
    s.requests,
    coalesce(p.streamed_calls, 0) AS streamed_calls,
    coalesce(p.end_user_calls, 0) AS end_user_calls,
    p.p50_duration_ms,
    s.payg_cost_usd,
    s.batch_cost_usd,
    s.service <> '' AND coalesce(p.streamed_calls, 0) = 0 AND coalesce(p.end_user_calls, 0) = 0
        AND s.batchable_usd > 0 AS eligible,
    CASE
        WHEN s.service = '' THEN 'the calls name no service'
        WHEN coalesce(p.streamed_calls, 0) > 0 THEN 'some calls are streamed (interactive)'
        WHEN coalesce(p.end_user_calls, 0) > 0 THEN 'some calls name an end user (interactive)'
        WHEN s.batchable_usd = 0 THEN 'regional deployments have no Batch type'
        ELSE 'not streamed, no end user: not interactive'
    END AS reason
FROM spend AS s
LEFT JOIN pattern AS p USING (service)
ORDER BY eligible DESC, s.payg_cost_usd DESC, s.service, s.tenant_id;
