-- name: 045_audit_log
-- returns: nothing (migration): audit_log, one row per audited action: who (the signed-in e-mail or the token's name), in which role, did what to what, with details as JSON
-- params:
CREATE TABLE IF NOT EXISTS audit_log (
    "at" TIMESTAMPTZ NOT NULL,
    actor VARCHAR NOT NULL,
    role VARCHAR,
    action VARCHAR NOT NULL,
    target VARCHAR,
    detail JSON
);
