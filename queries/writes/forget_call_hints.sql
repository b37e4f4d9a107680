-- name: forget_call_hints
-- returns: nothing; forgets the child-span hints waiting for the given calls, stored now (a hint serves only a model call still to come)
-- params: $call_ids VARCHAR[]
-- A semi-join, not list_contains: a hint table holding many hints whose call never came
-- would otherwise compare each of them with every id.
DELETE FROM call_hints WHERE call_id IN (SELECT unnest($call_ids));
