"""Reports: the pure KPI arithmetic (headless) of the monthly report and the dashboard."""
