"""The audit log viewer (F7): supervisors and administrators."""
