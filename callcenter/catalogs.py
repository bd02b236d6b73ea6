"""Maintain the translation catalogs (needs Babel, a test/dev dependency).

python -m callcenter.catalogs update   # extract messages, merge into every .po
python -m callcenter.catalogs compile  # write the .mo files shipped in the package
python -m callcenter.catalogs check    # exit 1 if a message lacks a zh_CN translation
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from callcenter.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("callcenter", "screens", "storage")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Any:
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir

    catalog = Catalog(project="callcenter")
    for source in SOURCES:
        for filename, lineno, message, comments, _context in extract_from_dir(
            ROOT / source, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            catalog.add(
                message, locations=[(f"{source}/{filename}", lineno)], auto_comments=comments
            )
    return catalog


def read(language: str) -> Any:
    from babel.messages.pofile import read_po

    with po_path(language).open("rb") as fh:
        return read_po(fh, locale=language)


def update() -> None:
    from babel.messages.pofile import write_po

    template = extract()
    for language in LANGUAGES:
        catalog = read(language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with po_path(language).open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, sort_output=True)


def compiled(language: str) -> bytes:
    from babel.messages.mofile import write_mo

    catalog = read(language)
    # Fixed dates: the compiled file depends on the .po only, not on when it was compiled.
    catalog.creation_date = catalog.revision_date = datetime(2026, 1, 1, tzinfo=UTC)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    for language in LANGUAGES:
        po_path(language).with_suffix(".mo").write_bytes(compiled(language))


def _translated(string: str | tuple[str, ...]) -> bool:
    """Whether a catalog entry's translation is there (each form of a plural one)."""
    if isinstance(string, tuple):
        return bool(string) and all(string)
    return bool(string)


def untranslated(language: str = "zh_CN") -> list[Any]:
    catalog = read(language)
    missing = []
    for message in extract():
        if not message.id:
            continue
        entry = catalog.get(message.id)
        if entry is None or not _translated(entry.string):
            missing.append(message.id)
    return missing


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        missing = untranslated()
        for message in missing:
            print(f"untranslated: {message!r}")
        return 1 if missing else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
