"""After the work: the service record, the report-back, the ledger entry (pure)."""
