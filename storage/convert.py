"""Conversion between rows and domain dataclasses, at the repository edge."""

from __future__ import annotations

import dataclasses
import typing
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import inspect

T = TypeVar("T")


_FIELD_TYPES: dict[type, dict[str, Any]] = {}


def _field_types(cls: type) -> dict[str, Any]:
    if cls not in _FIELD_TYPES:
        hints = typing.get_type_hints(cls)  # in the namespace of the class's module
        _FIELD_TYPES[cls] = {f.name: hints[f.name] for f in dataclasses.fields(cls)}
    return _FIELD_TYPES[cls]


def _enum_of(tp: Any) -> type[Enum] | None:
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp
    return None


def _columns(row_cls: type) -> frozenset[str]:
    return _COLUMNS.get(row_cls) or _COLUMNS.setdefault(
        row_cls,
        frozenset(str(attr.key) for attr in inspect(row_cls).column_attrs),  # type: ignore[var-annotated]
    )


_COLUMNS: dict[type, frozenset[str]] = {}


def to_domain(cls: type[T], row: Any) -> T:
    """Build a ``cls`` dataclass from the same-named attributes of ``row``."""
    columns = _columns(type(row))
    values: dict[str, Any] = {}
    for name, tp in _field_types(cls).items():
        if name not in columns:
            continue
        value = getattr(row, name)
        enum_cls = _enum_of(tp)
        if enum_cls is not None and value is not None:
            value = enum_cls(value)
        values[name] = value
    return cls(**values)


def rows_to_domain(cls: type[T], result: Any) -> list[T]:
    """``cls`` dataclasses from a Core result (``select(Table)``): the columns named like a
    field of ``cls``. Several times quicker than loading ORM objects to convert them (the
    board reads every open case this way)."""
    types = _field_types(cls)
    plan = [(i, key, _enum_of(types[key])) for i, key in enumerate(result.keys()) if key in types]
    found = []
    for row in result:
        values: dict[str, Any] = {}
        for index, name, enum_cls in plan:
            value = row[index]
            if enum_cls is not None and value is not None:
                value = enum_cls(value)
            values[name] = value
        found.append(cls(**values))
    return found


def to_row(obj: Any, row: Any, *, skip: tuple[str, ...] = ("id", "version")) -> None:
    """Copy the fields of ``obj`` onto the same-named columns of ``row``."""
    columns = _columns(type(row))
    for f in dataclasses.fields(obj):
        if f.name in skip or f.name not in columns:
            continue
        value = getattr(obj, f.name)
        if isinstance(value, Enum):
            value = value.value
        setattr(row, f.name, value)
