"""The registry of call kinds: the desk lists and records every registered kind.

Adding a kind is data plus one module: a module defines its :class:`CallKind` (and, if its
calls have a result, the function that checks it) and is named in :data:`BUILT_IN`; the
tests add one of their own with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from callcenter.calls import (
    callback,
    complaint,
    delay,
    escalation,
    feedback,
    maintenance,
    revisit,
)
from callcenter.calls.model import CallKind

#: The kinds every centre has, in the order the desk lists them.
BUILT_IN: tuple[CallKind, ...] = (
    delay.KIND,
    feedback.KIND,
    escalation.KIND,
    complaint.KIND,
    maintenance.KIND,
    callback.KIND,
    revisit.KIND,
)

_KINDS: dict[str, CallKind] = {k.name: k for k in BUILT_IN}


def register(kind: CallKind) -> CallKind:
    """Add ``kind`` (a name may be registered once)."""
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"call kind {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    if any(k.name == name for k in BUILT_IN):
        raise ValueError(f"call kind {name!r} is built in")
    _KINDS.pop(name, None)


@contextmanager
def registered(kind: CallKind) -> Iterator[CallKind]:
    """``kind`` registered for the ``with`` block (the tests' kinds)."""
    register(kind)
    try:
        yield kind
    finally:
        unregister(kind.name)


def get(name: str) -> CallKind:
    """The kind named ``name``; KeyError for an unknown one."""
    return _KINDS[name]


def all_kinds() -> list[CallKind]:
    return list(_KINDS.values())
