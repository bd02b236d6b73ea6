"""Messages that cross widgets and screens."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.screen import Screen

from callcenter.domain import Case, Change, Crew

if TYPE_CHECKING:
    from callcenter.domain import OwnerNotice
    from callcenter.services.delays import DelayPrompt
    from callcenter.watch import RaisedAlert


def own_screens(stack: Iterable[Screen[Any]]) -> list[Screen[Any]]:
    """The screens of ``stack`` that are ours: without Textual's blank default screen, which
    lies under the board, is never seen, and whose every message or change makes Textual
    repaint the whole screen above it (tens of kilobytes to an operator over SSH)."""
    return [screen for screen in stack if type(screen) is not Screen]


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


class AlertsRaised(Message):
    """This session's SLA sweep raised new alerts (``raised``: ``watch.RaisedAlert``s)."""

    def __init__(self, raised: Sequence[RaisedAlert]) -> None:
        super().__init__()
        self.raised = list(raised)


class DelayPromptsChanged(Message):
    """The delay calls to make changed (any session's sweep, claim or call), and with them
    the owner notices of the cases. Sent to every screen by the application.

    ``prompts``: the open prompts, most urgent first; ``notices``: case id → OwnerNotice for
    the cases whose notice is not NOT_NEEDED; ``names``: username → display name of the
    operators who have taken calls.
    """

    def __init__(
        self,
        prompts: Sequence[DelayPrompt],
        notices: Mapping[int, OwnerNotice],
        names: Mapping[str, str],
    ) -> None:
        super().__init__()
        self.prompts = list(prompts)
        self.notices = dict(notices)
        self.names = dict(names)
