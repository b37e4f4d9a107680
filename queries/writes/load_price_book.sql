-- name: load_price_book
-- returns: nothing; adds the rows of one price book CSV as version $version
-- params: $version VARCHAR, $path VARCHAR
INSERT INTO price_book
SELECT
    $version, model, deployment_type, nullif(region, ''),
    input_per_1m, cached_input_per_1m, output_per_1m,
    effective_from, effective_to, source
FROM read_csv(
    $path,
    header = true,
    columns = {
        'model': 'VARCHAR', 'deployment_type': 'VARCHAR', 'region': 'VARCHAR',
        'input_per_1m': 'DECIMAL(18,6)', 'cached_input_per_1m': 'DECIMAL(18,6)',
        'output_per_1m': 'DECIMAL(18,6)', 'effective_from': 'DATE', 'effective_to': 'DATE',
        'source': 'VARCHAR'
    }
);
