"""Messages that cross widgets and screens."""

from __future__ import annotations

from collections.abc import Sequence

from textual.message import Message

from callcenter.domain import Case, Change, Crew


class DataChanged(Message):
    """Another session (or this one) changed these cases and crews."""

    def __init__(self, cases: Sequence[Case], crews: Sequence[Crew], changes: Sequence[Change]):
        super().__init__()
        self.cases = list(cases)
        self.crews = list(crews)
        self.changes = list(changes)


class DatabaseState(Message):
    """The database went away (``error`` set) or came back (``error`` is None)."""

    def __init__(self, error: str | None) -> None:
        super().__init__()
        self.error = error
