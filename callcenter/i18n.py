"""The one translation function of the application.

Message ids are English; ``zh_CN`` (the default interface) and ``en`` have catalogs under
``callcenter/locale``. Strings defined at import time are marked with :func:`N_` and
translated where they are shown, so switching the language needs no re-import.

:func:`set_language` selects the interface language for the whole process; :func:`language`
translates into another one inside a ``with`` block, for the running thread (or asyncio task)
only, so a document printed in English from a worker leaves the Chinese interface alone.
"""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "messages"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"
# (language, translation) in force inside a `with language(...)` block of this context.
_local: ContextVar[tuple[str, gettext.NullTranslations] | None] = ContextVar(
    "callcenter_language", default=None
)


def set_language(language: str) -> None:
    """Select the interface language; unknown languages raise ``ValueError``."""
    global _translation, _language
    _translation = _load(language)
    _language = language


def _load(language: str) -> gettext.NullTranslations:
    if language not in LANGUAGES:
        raise ValueError(language)
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


@contextmanager
def language(name: str) -> Iterator[None]:
    """Translate into the language ``name`` inside the block, in this thread or task only; the
    interface language (:func:`set_language`) is untouched. Unknown languages raise
    ``ValueError``."""
    token = _local.set((name, _load(name)))
    try:
        yield
    finally:
        _local.reset(token)


def current_language() -> str:
    local = _local.get()
    return local[0] if local is not None else _language


def _current() -> gettext.NullTranslations:
    local = _local.get()
    return local[1] if local is not None else _translation


def _(message: str) -> str:
    """Translate ``message`` into the current language."""
    return _current().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message
