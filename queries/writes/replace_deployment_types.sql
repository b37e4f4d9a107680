-- name: replace_deployment_types
-- returns: nothing; upserts the deployment-type billing rules of the file (clear_deployment_types first)
-- params: $path VARCHAR
INSERT INTO deployment_types
SELECT deployment_type, billing, multiplier
FROM read_csv(
    $path,
    header = true,
    columns = {'deployment_type': 'VARCHAR', 'billing': 'VARCHAR', 'multiplier': 'DECIMAL(9,4)'}
);
