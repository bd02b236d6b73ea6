"""The crew list of a case (派车): pick the crew that reaches the scene before the promise.

Available crews that arrive in time come first, then available crews that would be late,
then the busy crews, greyed and not selectable. Enter dispatches the highlighted crew.
"""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from callcenter.dispatching import CrewOption
from callcenter.domain import Case, Crew, lifecycle
from callcenter.errors import (
    CallCenterError,
    ConcurrencyConflict,
    InvalidTransition,
    ValidationError,
)
from callcenter.i18n import N_, _
from callcenter.permissions import Action
from screens.kit.format import (
    conflict_message,
    error_text,
    fee_text,
    fit,
    km_text,
    local_time,
    safe_text,
    sentences,
)
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DataChanged
from screens.widgets.text_form import TextField, TextFieldsForm

# Column widths in terminal cells (CJK counts two).
WIDTHS = {"code": 10, "leader": 8, "status": 10, "distance": 9, "eta": 10}


def margin_text(margin: timedelta | None) -> tuple[str, str]:
    """("12 min early" / "8 min late" / "—", state) for a crew's arrival against the promise.

    Early minutes are rounded down and late minutes up, so the list never flatters a crew.
    """
    if margin is None:
        return "—", "none"
    seconds = margin.total_seconds()
    if seconds >= 0:
        return _("{n} min early").format(n=int(seconds // 60)), "early"
    return _("{n} min late").format(n=math.ceil(-seconds / 60)), "late"


def _rjust(text: str, width: int) -> str:
    return " " * max(0, width - cell_len(text)) + text


def crew_row(option: CrewOption, tz: object) -> Text:
    """One line of the crew list; caller and crew text stay data (no markup)."""
    crew = option.crew
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(fit(crew.code, WIDTHS["code"]) + " ", style="bold" if option.available else "")
    row.append(fit(crew.name, WIDTHS["leader"]) + " ")
    row.append(fit(crew.status.label, WIDTHS["status"]) + " ")
    if not option.available:
        row.append(_rjust("—", WIDTHS["distance"]) + "  ")
        row.append(fit("—", WIDTHS["eta"]))
        return row
    row.append(_rjust(_("{km} km").format(km=f"{option.distance_km:.1f}"), WIDTHS["distance"]))
    row.append("  ")
    row.append(fit(local_time(option.eta, tz), WIDTHS["eta"]))  # type: ignore[arg-type]
    text, state = margin_text(option.margin)
    row.append(text, style={"early": "green", "late": "bold red", "none": ""}[state])
    return row


def header_row() -> Text:
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append(fit(_("Crew"), WIDTHS["code"]) + " ")
    row.append(fit(_("Leader"), WIDTHS["leader"]) + " ")
    row.append(fit(_("Status"), WIDTHS["status"]) + " ")
    row.append(_rjust(_("Distance"), WIDTHS["distance"]) + "  ")
    row.append(fit(_("ETA"), WIDTHS["eta"]))
    row.append(_("vs. promise"))
    return row


class DispatchScreen(ModalScreen[int | None]):
    """Choose a crew for ``case``; dismisses with the case id once dispatched, else None.

    With ``reassign`` (a supervisor): the case's crew is replaced by the crew chosen, with
    a reason (asked once the crew is chosen); the old crew is free again."""

    CSS_PATH = "detail.tcss"
    BINDINGS = [
        Binding("f", "agree_fee", N_("Owner agrees to the fee")),
        Binding("escape", "back", N_("Go back")),
    ]

    def __init__(self, case: Case, *, reassign: bool = False) -> None:
        super().__init__()
        translate_bindings(self)
        self.case = case
        self.reassign = reassign
        self.options: list[CrewOption] = []
        self.reason = ""  # typed for a reassignment: kept if it is refused

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A reassigned case's fee was agreed before its first dispatch.
        return not (action == "agree_fee" and self.reassign)

    @property
    def step(self) -> Action:
        return Action.REASSIGN_CREW if self.reassign else Action.DISPATCH

    @property
    def cc(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="dispatch-box"):
            yield Static(id="dispatch-title")
            yield Static(id="dispatch-case")
            yield Static(id="dispatch-fee")
            yield Static(header_row(), id="dispatch-header")
            yield OptionList(id="crew-list")
            yield Static(id="dispatch-message")
            yield Static(
                Content(
                    _("Enter: choose the crew, then give the reason · Esc: back")
                    if self.reassign
                    else _("Enter: dispatch · F: owner agrees to the fee · Esc: back")
                ),
                id="dispatch-hint",
            )

    def on_mount(self) -> None:
        self.show_case()
        self.query_one("#crew-list", OptionList).focus()
        self.refresh_options()

    # -- display ---------------------------------------------------------------------
    def show_case(self) -> None:
        case, tz = self.case, self.cc.tz
        if self.reassign:
            title = _("Give case {number} another crew").format(number=case.number)
        else:
            title = _("Dispatch a crew — case {number}").format(number=case.number)
        self.query_one("#dispatch-title", Static).update(Content(title))
        line = Text(no_wrap=False)
        line.append(case.plate, style="bold")
        line.append("  ")
        line.append(safe_text(case.address))
        line.append("  ")
        line.append(_("{km} km").format(km=km_text(case.distance_km)))
        line.append("  ")
        line.append(
            _("Promised arrival {time}").format(time=local_time(case.promised_arrival_at, tz))
        )
        self.query_one("#dispatch-case", Static).update(line)
        fee = self.query_one("#dispatch-fee", Static)
        if case.fee_agreed:
            fee.update(
                Text(_("Fee {fee}: agreed by the owner.").format(fee=fee_text(case.fee_quote)))
            )
            fee.set_class(False, "-warning")
        else:
            fee.update(
                Text(
                    _(
                        "Fee {fee} not yet agreed by the owner — press F when the owner agrees."
                    ).format(fee=fee_text(case.fee_quote))
                )
            )
            fee.set_class(True, "-warning")

    def say(self, message: str, error: bool = True) -> None:
        widget = self.query_one("#dispatch-message", Static)
        widget.update(Text(message))
        widget.set_class(error, "-error")

    def show_options(self, options: list[CrewOption]) -> None:
        if self.reassign:  # another crew: never the one already on the case
            options = [o for o in options if o.crew.id != self.case.crew_id]
        # Available crews as ranked (in time, then late; earliest first); busy ones by code.
        options = [o for o in options if o.available] + sorted(
            (o for o in options if not o.available), key=lambda o: o.crew.code
        )
        self.options = options
        crew_list = self.query_one("#crew-list", OptionList)
        highlighted = crew_list.highlighted_option
        keep = highlighted.id if highlighted is not None else None
        items: list[Option | None] = []
        busy_started = False
        for option in options:
            if not option.available and not busy_started:
                busy_started = True
                if items:
                    items.append(None)
            items.append(
                Option(
                    crew_row(option, self.cc.tz),
                    id=str(option.crew.id),
                    disabled=not option.available,
                )
            )
        crew_list.set_options(items)
        enabled = [o for o in options if o.available]
        if not enabled:
            self.say(_("No crew is available now."))
            return
        ids = [str(o.crew.id) for o in enabled]
        target = keep if keep in ids else ids[0]
        crew_list.highlighted = crew_list.get_option_index(target)

    def option_for(self, crew_id: str | None) -> CrewOption | None:
        for option in self.options:
            if str(option.crew.id) == crew_id:
                return option
        return None

    # -- workers ---------------------------------------------------------------------
    @work(exclusive=True, group="crew-options", exit_on_error=False)
    async def refresh_options(self) -> None:
        options = await asyncio.to_thread(self.cc.services.crew_options, self.case)
        self.show_options(options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option = self.option_for(event.option.id)
        if option is not None and option.available:
            self.say("", error=False)
            if self.reassign:
                self.reassign_to(option.crew)
            else:
                self.dispatch_crew(option.crew)

    def reassign_to(self, crew: Crew) -> None:
        """Ask the reason, then give the case ``crew`` (one service call, in the form)."""
        services = self.cc.services
        case = self.case
        assert case.id is not None and crew.id is not None
        case_id, crew_id, version, crew_version = case.id, crew.id, case.version, crew.version

        def save(values: dict[str, str]) -> Case:
            self.reason = values["reason"]
            if not values["reason"].strip():
                raise ValidationError("reason", _("Give the reason."))
            return services.reassign(
                case_id,
                crew_id,
                case_version=version,
                crew_version=crew_version,
                reason=values["reason"],
            )

        def done(result: Case | None) -> None:
            if result is None:
                self.refresh_options()
                return
            self.reason = ""
            self.app.notify(
                _("Reassigned: {crew} → {number}").format(crew=crew.code, number=result.number)
            )
            self.dismiss(result.id)

        self.app.push_screen(
            TextFieldsForm(
                _("{number}: {old} → {new}").format(
                    number=case.number, old=self.current_crew_code(), new=crew.code
                ),
                [
                    TextField(
                        "reason",
                        _("The reason"),
                        _("e.g. the crew's vehicle broke down"),
                        self.reason,
                    )
                ],
                save,
                note=_(
                    "The first crew is free again; the promise to the owner stands. The reason "
                    "goes to the case's timeline."
                ),
                required=("reason",),
            ),
            done,
        )

    def current_crew_code(self) -> str:
        for option in self.options:
            if option.crew.id == self.case.crew_id:
                return option.crew.code
        return "?"

    @work(exclusive=True, group="dispatch", exit_on_error=False)
    async def dispatch_crew(self, crew: Crew) -> None:
        services = self.cc.services
        case = self.case
        assert case.id is not None and crew.id is not None
        try:
            done = await asyncio.to_thread(
                services.dispatch,
                case.id,
                crew.id,
                case_version=case.version,
                crew_version=crew.version,
            )
        except ConcurrencyConflict as exc:
            if exc.changed_by:  # the case itself changed
                await self.reload_case()
                self.say(sentences(error_text(exc, self.cc.tz), _("The list is refreshed.")))
            else:  # the crew changed: say who took it, when, for which case
                self.say(await asyncio.to_thread(self.crew_taken, crew, str(exc)))
            self.refresh_options()
            return
        except InvalidTransition as exc:
            self.say(str(exc))
            if not self.case.fee_agreed:
                self.say(
                    sentences(
                        str(exc),
                        _("Press F when the owner agrees to the fee of {fee}.").format(
                            fee=fee_text(self.case.fee_quote)
                        ),
                    )
                )
            self.refresh_options()
            return
        except CallCenterError as exc:
            self.say(error_text(exc, self.cc.tz))
            return
        self.app.notify(
            _("Dispatched: {crew} → {number}").format(crew=crew.code, number=done.number)
        )
        self.dismiss(done.id)

    def crew_taken(self, crew: Crew, fallback: str) -> str:
        """Who took ``crew`` meanwhile, and when (runs in a thread)."""
        services = self.cc.services
        now = next((c for c in services.crews() if c.id == crew.id), None)
        refreshed = _("The list is refreshed.")
        if now is None:
            return sentences(fallback, refreshed)
        if now.current_case_id is not None:
            assignment = services.current_assignment(now.current_case_id)
            other = services.case(now.current_case_id)
            if assignment is not None:
                return _(
                    "{crew} was changed by {who} at {when}: dispatched to case {number}. {more}"
                ).format(
                    crew=crew.code,
                    who=services.display_name(assignment.assigned_by),
                    when=local_time(assignment.assigned_at, self.cc.tz),
                    number=other.number,
                    more=refreshed,
                )
        return _("{crew} was changed by someone else; it is now {status}. {more}").format(
            crew=crew.code, status=now.status.label, more=refreshed
        )

    async def reload_case(self) -> None:
        assert self.case.id is not None
        self.case = await asyncio.to_thread(self.cc.services.case, self.case.id)
        self.show_case()

    def action_agree_fee(self) -> None:
        self.agree_fee()

    @work(exclusive=True, group="fee", exit_on_error=False)
    async def agree_fee(self) -> None:
        if self.case.fee_agreed:
            self.say(_("The owner's agreement to the fee is already recorded."), error=False)
            return
        assert self.case.id is not None
        try:
            self.case = await asyncio.to_thread(
                self.cc.services.agree_fee, self.case.id, self.case.version
            )
        except CallCenterError as exc:
            if isinstance(exc, ConcurrencyConflict):
                await self.reload_case()
            self.say(error_text(exc, self.cc.tz))
            return
        self.show_case()
        self.say(_("The owner's agreement to the fee is recorded: Enter dispatches."), error=False)
        self.refresh_options()

    def action_back(self) -> None:
        self.dismiss(None)

    # -- live ------------------------------------------------------------------------
    def on_data_changed(self, message: DataChanged) -> None:
        mine = [c for c in message.cases if c.id == self.case.id]
        if mine and mine[0].version > self.case.version:
            self.case = mine[0]
            self.show_case()
            if not lifecycle.allows(self.step, self.case.status):
                self.say(
                    sentences(
                        conflict_message(self.case, self.cc.tz),
                        _("It is now {status}.").format(status=self.case.status.label),
                    )
                )
        if mine or message.crews:
            self.refresh_options()
