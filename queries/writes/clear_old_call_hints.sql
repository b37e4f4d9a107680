-- name: clear_old_call_hints
-- returns: nothing; forgets child-span hints received before $before (their model-call span never came, or came and took them)
-- params: $before TIMESTAMPTZ
DELETE FROM call_hints WHERE received_at < $before;
