-- name: 00_resource_name
-- returns: scalar macro resource_name(endpoint): the Azure resource a call's endpoint host names (aoai-prod.openai.azure.com -> aoai-prod, as AzureMetrics names it), the whole host for any other (127.0.0.1, localhost, a gateway's own name), 'unknown' without one
-- params:
-- Azure OpenAI, AI Services and API Management hosts carry the resource name in their first
-- label; an address or another host has no such label, so it is kept whole.
CREATE OR REPLACE MACRO resource_name(endpoint) AS
    CASE
        WHEN endpoint IS NULL OR endpoint = '' THEN 'unknown'
        WHEN regexp_matches(lower(endpoint), '^[a-z0-9-]+\.[a-z0-9.-]*(azure\.com|azure-api\.net)$')
            THEN lower(split_part(endpoint, '.', 1))
        ELSE lower(endpoint)
    END;
