-- name: use_ledger
-- returns: nothing; makes the ledger (attach_ledger) the default database of this connection or cursor
-- params:
USE ledger;
