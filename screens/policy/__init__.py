"""The tariff and the SLA policy in force (read only)."""
