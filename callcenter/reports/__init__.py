"""Reports (issue 14), headless (no Textual, no SQLAlchemy): the monthly report's pure
arithmetic (:mod:`.monthly`), its sections in words (:mod:`.sections`) and its exporters
(:mod:`.export`: text, XLSX, PDF); the KPI dashboard's (:mod:`.dashboard`); percentiles
(:mod:`.stats`), shared by both."""
