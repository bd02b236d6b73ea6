"""The shift-handover digest (交接班, F12)."""
