"""Reports (issue 14): the monthly report's pure arithmetic (:mod:`.monthly`), percentiles
(:mod:`.stats`), its sections in words (:mod:`.sections`) and its exporters (:mod:`.export`:
text, XLSX, PDF). Headless: no Textual, no SQLAlchemy."""
