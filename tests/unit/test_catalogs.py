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


def test_every_key_description_of_every_screen_is_translated() -> None:
    """A Binding's description is translated when the screen is built (translate_bindings),
    so it must be marked N_() to reach the catalogs: `catalogs update` drops what it cannot
    find, and the footer would fall back to English."""
    import importlib
    import inspect
    import pkgutil

    import screens
    from callcenter.i18n import _, current_language, set_language

    before = current_language()
    set_language("zh_CN")
    missing = []
    try:
        for info in pkgutil.walk_packages(screens.__path__, "screens."):
            module = importlib.import_module(info.name)
            for _name, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ != module.__name__:
                    continue
                for binding in vars(cls).get("BINDINGS", []):
                    description = getattr(binding, "description", None)
                    if description is None and isinstance(binding, tuple) and len(binding) > 2:
                        description = binding[2]
                    if description and _(description) == description:
                        missing.append(f"{cls.__module__}.{cls.__name__}: {description!r}")
    finally:
        set_language(before)
    assert missing == []
