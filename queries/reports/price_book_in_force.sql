-- name: price_book_in_force
-- returns: version, model, deployment_type, region, input_per_1m, cached_input_per_1m, output_per_1m, effective_from, effective_to, source, service_tier, context_tier, cache_write_per_1m, meters (one row per price row of the newest loaded version, the one call_costs uses, in load order; no rows when no book is loaded)
-- params:
SELECT
    p.version,
    p.model,
    p.deployment_type,
    p.region,
    p.input_per_1m,
    p.cached_input_per_1m,
    p.output_per_1m,
    p.effective_from,
    p.effective_to,
    p.source,
    p.service_tier,
    p.context_tier,
    p.cache_write_per_1m,
    p.meters
FROM price_book AS p
WHERE p.version = (
    SELECT version FROM price_book_versions ORDER BY loaded_at DESC, version DESC LIMIT 1
)
ORDER BY p.rowid;
