-- name: 005_apim_subscription
-- returns: nothing (migration): the API Management subscription a call came through
-- params:
ALTER TABLE calls ADD COLUMN apim_subscription VARCHAR;
