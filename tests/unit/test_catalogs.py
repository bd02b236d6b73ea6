"""Every interface string has a Chinese translation, and the shipped .mo files are current."""

from __future__ import annotations

import pytest

pytest.importorskip("babel")

from callcenter import catalogs
from callcenter.i18n import LANGUAGES, _, set_language


def test_every_message_is_translated_to_chinese() -> None:
    missing = catalogs.untranslated("zh_CN")
    assert missing == [], f"{len(missing)} untranslated; run: python -m callcenter.catalogs update"


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogs_match_their_sources(language: str) -> None:
    shipped = catalogs.po_path(language).with_suffix(".mo").read_bytes()
    assert shipped == catalogs.compiled(language), (
        "stale .mo: run python -m callcenter.catalogs compile"
    )


def test_language_switch_translates() -> None:
    set_language("zh_CN")
    assert _("Arrival late") != "Arrival late"
    set_language("en")
    assert _("Arrival late") == "Arrival late"
