-- name: insert_audit_entry
-- returns: nothing
-- params: $at TIMESTAMPTZ, $actor VARCHAR, $role VARCHAR, $action VARCHAR, $target VARCHAR, $detail VARCHAR
INSERT INTO audit_log ("at", actor, role, action, target, detail)
VALUES ($at, $actor, $role, $action, $target, CAST($detail AS JSON));
