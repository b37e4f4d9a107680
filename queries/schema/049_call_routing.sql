-- name: 049_call_routing
-- returns: nothing (migration): where each call went: calls.service_tier (the tier that served it, as Azure returned it), service_tier_requested, backend (the API Management backend or pool member), failover_from (the endpoint first in priority order when another answered), attempts (endpoints sent the request), spillover (a provisioned deployment's call served by its standard deployment: true; asked for and not needed: false) and spillover_from (that provisioned deployment)
-- params:
-- service_tier holds Azure's values (default, priority, flex); service_tier_requested what
-- the request asked for (auto, default, priority, flex). A call asked priority and served
-- default was downgraded. NULL everywhere: the source did not say.
ALTER TABLE calls ADD COLUMN service_tier VARCHAR;
ALTER TABLE calls ADD COLUMN service_tier_requested VARCHAR;
ALTER TABLE calls ADD COLUMN backend VARCHAR;
ALTER TABLE calls ADD COLUMN failover_from VARCHAR;
ALTER TABLE calls ADD COLUMN attempts INTEGER;
ALTER TABLE calls ADD COLUMN spillover BOOLEAN;
ALTER TABLE calls ADD COLUMN spillover_from VARCHAR;
