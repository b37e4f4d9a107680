-- name: replace_ptu_figures
-- returns: nothing; inserts the PTU sizing figures of the file (clear_ptu_figures first)
-- params: $path VARCHAR
INSERT INTO ptu_figures
SELECT base_model(model), input_tpm_per_ptu, output_ratio, as_of, source
FROM read_csv(
    $path,
    header = true,
    columns = {
        'model': 'VARCHAR', 'input_tpm_per_ptu': 'DOUBLE', 'output_ratio': 'DOUBLE',
        'global_min_ptu': 'INTEGER', 'global_increment': 'INTEGER',
        'data_zone_min_ptu': 'INTEGER', 'data_zone_increment': 'INTEGER',
        'regional_min_ptu': 'INTEGER', 'regional_increment': 'INTEGER',
        'as_of': 'VARCHAR', 'source': 'VARCHAR'
    }
);
