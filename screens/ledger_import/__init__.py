"""The import of an old rescue ledger (救援登记台帐), for supervisors."""
