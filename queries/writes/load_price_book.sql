-- name: load_price_book
-- returns: nothing; adds the rows of one price book CSV (the current format, with the billing-mode columns) as version $version
-- params: $version VARCHAR, $path VARCHAR
INSERT INTO price_book BY NAME
SELECT
    $version AS version, model, deployment_type, nullif(region, '') AS region,
    input_per_1m, cached_input_per_1m, output_per_1m,
    effective_from, effective_to, source,
    coalesce(nullif(service_tier, ''), 'default') AS service_tier,
    nullif(context_tier, '') AS context_tier,
    cache_write_per_1m,
    nullif(meters, '') AS meters
FROM read_csv(
    $path,
    header = true,
    columns = {
        'model': 'VARCHAR', 'deployment_type': 'VARCHAR', 'region': 'VARCHAR',
        'input_per_1m': 'DECIMAL(18,6)', 'cached_input_per_1m': 'DECIMAL(18,6)',
        'output_per_1m': 'DECIMAL(18,6)', 'effective_from': 'DATE', 'effective_to': 'DATE',
        'source': 'VARCHAR', 'service_tier': 'VARCHAR', 'context_tier': 'VARCHAR',
        'cache_write_per_1m': 'DECIMAL(18,6)', 'meters': 'VARCHAR'
    }
);
