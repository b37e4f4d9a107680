-- name: forget_call_hints
-- returns: nothing; forgets the child-span hints waiting for the given calls, stored now (a hint serves only a model call still to come)
-- params: $call_ids VARCHAR[]
DELETE FROM call_hints WHERE list_contains($call_ids, call_id);
