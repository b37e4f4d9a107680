"""Log Analytics collector: Azure Monitor usage pulled into the call ledger."""
