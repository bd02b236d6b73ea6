"""The last check before a write: no text column stores a control or invisible character, and
none is longer than its column (the same on SQLite, which would store it, and PostgreSQL,
which would fail with its own error text).

The services check each field as the user typed it, with a message on that field; this guard
catches whatever a new field forgot, before any SQL runs, as the same
:class:`~callcenter.errors.ValidationError` naming the column.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from callcenter.errors import ValidationError
from callcenter.i18n import _
from callcenter.text import FORBIDDEN

__all__ = ["install"]


def install(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "before_flush", _before_flush)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in chain(session.new, session.dirty):
        state = inspect(obj)
        loaded = state.dict
        for attr in state.mapper.column_attrs:
            value = loaded.get(attr.key)
            if value is None or isinstance(value, int | float):
                continue
            if isinstance(value, str):
                length = getattr(attr.columns[0].type, "length", None)
                if isinstance(attr.columns[0].type, String) and length and len(value) > length:
                    raise ValidationError(
                        attr.key,
                        _("Too long: at most {max} characters (this has {count}).").format(
                            max=length, count=len(value)
                        ),
                    )
            for text in _strings(value):
                if FORBIDDEN.search(text):
                    raise ValidationError(
                        attr.key, _("Contains a control character that cannot be stored.")
                    )
