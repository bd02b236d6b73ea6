"""The KPI dashboard (F10) and the cases behind its figures."""
