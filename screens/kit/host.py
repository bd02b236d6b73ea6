"""What a screen may ask of the application that hosts it.

A feature screen never imports :mod:`screens.app` (nor another feature's screens): it asks
``host(self)`` for the session's services, clock and zone, and asks it to open other screens
(``open_case``, ``open_dispatch``, …). :class:`screens.app.CallCenterApp` is the one
implementation; the import-linter contracts in ``pyproject.toml`` keep the arrows pointing
down.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, cast

from textual.dom import DOMNode

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from textual.screen import Screen

    from callcenter.calls.model import DeskItem
    from callcenter.complaints.model import Complaint
    from callcenter.domain import Case, OwnerNotice
    from callcenter.drafts import DraftStore
    from callcenter.services import Services
    from callcenter.services.calls import CallDesk
    from callcenter.services.delays import DelayCalls, DelayPrompt
    from callcenter.settings import Settings


class Host(Protocol):
    """The application as its screens see it."""

    # -- the session ---------------------------------------------------------------------
    services: Services
    settings: Settings
    tz: ZoneInfo
    at_risk: timedelta
    #: The supervisor board: no action that writes.
    read_only: bool
    #: False until the session is built (the board's frame shows before).
    connected: bool
    #: The half-typed call of this operator, kept on disk.
    drafts: DraftStore

    def clock_now(self) -> datetime: ...

    def allows_action(self, namespace: object, action: str) -> bool:
        """Whether ``action`` of ``namespace`` may run in this session."""
        ...

    def board_loaded(self) -> None:
        """The board read its cases (or failed to)."""
        ...

    # -- the delay-call desk -------------------------------------------------------------
    delay_calls: DelayCalls | None
    delay_prompts: list[DelayPrompt]
    #: The call desk (every kind of call) and its calls due now other than delay calls.
    call_desk: CallDesk | None
    call_items: list[DeskItem]
    owner_notices: dict[int, OwnerNotice]
    staff_names: dict[str, str]

    def refresh_prompts(self, *, initial: bool = False) -> None: ...

    # -- navigation: the only place that opens screens -----------------------------------
    def open_case(self, case_id: int) -> None: ...

    def open_intake(self, done: Callable[[int | None], None] | None = None) -> None: ...

    def open_dispatch(
        self, case: Case, done: Callable[[int | None], None] | None = None
    ) -> None: ...

    def open_search(self, done: Callable[[int | None], None] | None = None) -> None: ...

    def open_reassign(self, case: Case, done: Callable[[int | None], None] | None = None) -> None:
        """The crew list for giving ``case`` another crew (a supervisor, with a reason);
        ``done`` gets the case's id once reassigned."""
        ...

    def open_crews(self) -> None:
        """The crews (F12): duty, position, reassignment."""
        ...

    def open_policy(self) -> None:
        """The tariff and the SLA policy in force (read only)."""
        ...

    def open_delay_calls(self) -> None: ...

    def open_ledger(self) -> None:
        """The rescue ledger (F4), from any screen, once."""
        ...

    def open_delay_call(
        self, prompt: DelayPrompt, version: int, done: Callable[[Any], None] | None = None
    ) -> None: ...

    def open_call(
        self, item: DeskItem, version: int, done: Callable[[Any], None] | None = None
    ) -> None: ...

    def open_promise(
        self,
        *,
        case_id: int | None = None,
        customer_id: int | None = None,
        name: str = "",
        phone: str = "",
        about: str = "",
        done: Callable[[Any], None] | None = None,
    ) -> None:
        """The form promising a call-back (约定回访): about a case, a customer of the archive,
        or a phone number (and a name) with neither; ``about`` names them in its title.
        ``done`` gets the task promised, or None."""
        ...

    def open_record(self, case: Case, done: Callable[[Any], None] | None = None) -> None:
        """The service record of ``case`` (a new one completes a case on scene)."""
        ...

    def open_report_back(self, case: Case, done: Callable[[Any], None] | None = None) -> None:
        """The crew's report-back of a completed ``case``."""
        ...

    def open_help(self) -> None: ...

    def open_ledger_import(self) -> None:
        """The import of an old ledger (supervisors; an operator is told so)."""

    def open_archive(self) -> None:
        """The customer archive (F5)."""
        ...

    def open_audit_log(self) -> None:
        """The audit log (F7): supervisors and administrators; refused for operators."""

    def open_dashboard(self) -> None:
        """The KPI dashboard (F10)."""
        ...

    def open_complaints(self, *, crew_id: int | None = None) -> None:
        """The complaints and the escalations (F6); only those against ``crew_id`` if given."""
        ...

    def open_handover(self) -> None:
        """The shift-handover digest (F12), once."""
        ...

    def open_complaint_form(
        self,
        *,
        case_id: int | None = None,
        complaint: Complaint | None = None,
        done: Callable[[Any], None] | None = None,
    ) -> None:
        """A new complaint (about ``case_id`` if given), or ``complaint`` to correct."""
        ...

    async def run_case_action(self, screen: Screen[Any], action: str, case: Case) -> None:
        """Run a lifecycle step of ``case`` (asks what it must first: checklist, reason)."""
        ...


def host(node: DOMNode) -> Host:
    """The application of ``node``, as a :class:`Host`."""
    return cast(Host, node.app)
