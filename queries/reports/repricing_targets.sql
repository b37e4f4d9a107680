-- name: repricing_targets
-- returns: kind (model | deployment_type), value (one row per model of the price book in force and per pay-as-you-go deployment type, plus Flex; sorted)
-- params:
-- What a scope can be priced again on (repriced_usage.sql): the models with a price in the
-- newest loaded price book, and the deployment types billed by the token.
SELECT DISTINCT 'model' AS kind, p.model AS value
FROM price_book AS p
WHERE p.version = (
    SELECT version FROM price_book_versions ORDER BY loaded_at DESC, version DESC LIMIT 1
)
UNION ALL
SELECT 'deployment_type' AS kind, deployment_type AS value
FROM deployment_types
WHERE billing = 'tokens'
UNION ALL
SELECT 'deployment_type' AS kind, 'Flex' AS value
ORDER BY kind, value;
