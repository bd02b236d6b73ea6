"""The rescue ledger (救援登记台帐): the list of every rescue, its filters and its export."""
