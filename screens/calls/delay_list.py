"""The list of delay calls (F3): the open prompts, live, with who has taken each; Enter
takes the selected call (one operator only: a second is told who has it and since when)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from callcenter.calls import kinds
from callcenter.calls.model import SWEEP_ACTOR
from callcenter.domain import AlertKind
from callcenter.errors import CallCenterError, ConcurrencyConflict
from callcenter.i18n import N_, _
from screens.calls.call_form import saved_text
from screens.kit.delay_text import display_name, handling_text, late_text, outcome_text, taken_text
from screens.kit.format import due_text, local_time
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.kit.messages import DelayPromptsChanged

if TYPE_CHECKING:
    from callcenter.calls.model import CallTask, DeskItem
    from callcenter.services.delays import DelayCallResult, DelayCalls, DelayPrompt

log = logging.getLogger(__name__)


class DelayCallsScreen(ModalScreen[None]):
    """The open prompts, live: who has taken each; Enter takes the selected call."""

    CSS_PATH = "delay.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "promise", N_("Promise a call-back")),
        Binding("escape", "close", N_("Close")),
    ]

    class Claimed(Message):
        def __init__(self, prompt: DelayPrompt, version: int) -> None:
            super().__init__()
            self.prompt = prompt
            self.version = version

    class Refused(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class CallClaimed(Message):
        def __init__(self, item: DeskItem, version: int) -> None:
            super().__init__()
            self.item = item
            self.version = version

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self._taking = False
        self._items: list[DeskItem] = []

    @property
    def desk(self) -> Host:
        return host(self)

    def compose(self) -> ComposeResult:
        with Vertical(id="dc-box", classes="dc-box"):
            yield Static(
                Content(_("Call desk — delay calls, then feedback and other calls")),
                classes="dc-title",
            )
            table: DataTable[Text] = DataTable(id="dc-table", cursor_type="row", zebra_stripes=True)
            yield table
            yield Static(Content(_("No owner to call right now.")), id="dc-empty")
            # The desk's other kinds of call (feedback, follow-up, call-back …), when due.
            yield Static(Content(_("Other calls to make")), id="cd-title", classes="dc-title")
            items: DataTable[Text] = DataTable(id="cd-table", cursor_type="row", zebra_stripes=True)
            yield items
            yield Static("", id="dc-detail")
            yield Static(
                Content(_("Enter takes the selected call · n promises a call-back · Esc closes")),
                classes="dc-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column(Text(_("Case No.")), key="number")
        table.add_column(Text(_("Plate")), key="plate")
        table.add_column(Text(_("Owner phone")), key="phone")
        table.add_column(Text(_("Crew")), key="crew")
        table.add_column(Text(_("Delay")), key="late")
        table.add_column(Text(_("Taken by")), key="taken")
        items = self.query_one("#cd-table", DataTable)
        # The time first: the list is in its order, and an overdue call's ⚠ shows on the
        # narrowest terminal.
        items.add_column(Text(_("Due at")), key="due")
        items.add_column(Text(_("Kind")), key="kind")
        # The number before the name: never cut off the right edge of a narrow terminal.
        items.add_column(Text(_("Phone")), key="phone")
        items.add_column(Text(_("Case / customer")), key="about")
        items.add_column(Text(_("Plate")), key="plate")
        items.add_column(Text(_("Tries")), key="tries")
        items.add_column(Text(_("Taken by")), key="taken")
        self.show_prompts(self.desk.delay_prompts)
        if self.desk.delay_prompts or not self._items:
            table.focus()
        else:
            items.focus()
        self.desk.refresh_prompts()

    # -- the list ----------------------------------------------------------------------------
    def prompts(self) -> list[DelayPrompt]:
        return list(self._prompts)

    def show_prompts(self, prompts: Sequence[DelayPrompt]) -> None:
        table = self.query_one(DataTable)
        selected = self.selected()
        self._prompts = list(prompts)
        desk = self.desk
        actor = desk.services.actor
        table.clear()
        row_of = None
        for index, prompt in enumerate(self._prompts):
            style = "bold" if prompt.kind is AlertKind.ARRIVAL_LATE else ""
            taken = taken_text(prompt, desk.staff_names, actor, desk.tz)
            table.add_row(
                Text(prompt.case_number, style=style),
                Text(prompt.plate),
                Text(prompt.owner_phone),
                Text(prompt.crew_code or "—"),
                Text(late_text(prompt), style="bold red" if style else "yellow"),
                Text(taken, style="dim" if prompt.is_claimed else ""),
                key=str(prompt.alert_id),
            )
            if selected is not None and prompt.case_id == selected.case_id:
                row_of = index
        if row_of is not None:
            table.move_cursor(row=row_of, animate=False)
        empty = not self._prompts
        table.display = not empty
        self.query_one("#dc-empty").display = empty
        self.show_items(self.desk.call_items)

    def show_items(self, items: Sequence[DeskItem]) -> None:
        """The desk's other calls due now (hidden when there are none)."""
        table = self.query_one("#cd-table", DataTable)
        chosen = self.selected_item()
        self._items = list(items)
        desk = self.desk
        actor = desk.services.actor
        table.clear()
        row_of = None
        now = desk.clock_now()
        for index, item in enumerate(self._items):
            style = "bold" if item.urgent or item.overdue else ""
            table.add_row(
                Text(
                    ("⚠ " if item.overdue else "") + due_text(item.due_at, now, desk.tz),
                    style="bold red" if style else "",
                ),
                Text(kinds.get(item.kind).title),  # the desk reads registered kinds only
                Text(item.phone or "—"),
                Text(item.about, style=style),
                Text(item.plate or "—"),
                Text(str(item.attempts)),
                Text(taken_text(item, desk.staff_names, actor, desk.tz)),
                key=f"{item.kind}:{item.ref}",
            )
            if chosen is not None and (item.kind, item.ref) == (chosen.kind, chosen.ref):
                row_of = index
        if row_of is not None:
            table.move_cursor(row=row_of, animate=False)
        shown = bool(self._items)
        table.display = shown
        self.query_one("#cd-title").display = shown
        self._show_detail()

    def selected_item(self) -> DeskItem | None:
        items = getattr(self, "_items", [])
        if not items:
            return None
        row = self.query_one("#cd-table", DataTable).cursor_row
        return items[row] if 0 <= row < len(items) else None

    def _items_focused(self) -> bool:
        return self.focused is self.query_one("#cd-table", DataTable)

    def selected(self) -> DelayPrompt | None:
        prompts = getattr(self, "_prompts", [])
        if not prompts:
            return None
        row = self.query_one(DataTable).cursor_row
        return prompts[row] if 0 <= row < len(prompts) else None

    def _show_detail(self) -> None:
        """The selected call of the focused table: its message, its due time, who has it."""
        tz = self.desk.tz
        chosen: DelayPrompt | DeskItem
        if self._items_focused():
            item = self.selected_item()
            if item is None:
                return self._set_detail(None)
            chosen = item
            now = self.desk.clock_now()
            line = _("Due {due} · tries so far {n}").format(
                due=due_text(item.due_at, now, tz), n=item.attempts
            )
            if item.overdue:
                line += " · " + _("⚠ overdue by {span}").format(span=overdue_span(item, now))
            if item.created_by and item.created_by != SWEEP_ACTOR:
                promiser = display_name(self.desk.services, item.created_by)
                line += " · " + _("promised by {name}").format(name=promiser)
        else:
            prompt = self.selected()
            if prompt is None:
                return self._set_detail(None)
            line = _("{kind} · promised {promised} · owner {name}").format(
                kind=prompt.kind.label,
                promised=local_time(prompt.deadline, tz),
                name=prompt.owner_name,
            )
            chosen = prompt
        content = Content.assemble((chosen.message, "bold"), "\n", line)
        if chosen.claimed_by is not None:
            who: str | None = self.desk.staff_names.get(chosen.claimed_by, chosen.claimed_by)
            if chosen.claimed_by == self.desk.services.actor:
                who = None
            content = Content.assemble(
                content, "\n", (handling_text(who, chosen.claimed_at, tz), "italic")
            )
        self._set_detail(content)

    def _set_detail(self, content: Content | None) -> None:
        self.query_one("#dc-detail", Static).update(content or "")

    @on(DataTable.RowHighlighted)
    def _highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def on_descendant_focus(self) -> None:
        self._show_detail()

    def on_delay_prompts_changed(self, message: DelayPromptsChanged) -> None:
        self.show_prompts(message.prompts)  # and the other calls, read with them

    # -- taking a call -----------------------------------------------------------------------
    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_take()

    def action_take(self) -> None:
        if self._items_focused():
            item = self.selected_item()
            if item is None or self._taking:
                return
            self._taking = True
            self._claim_item(item)
            return
        prompt = self.selected()
        if prompt is None or self._taking:
            return
        self._taking = True
        self._claim(prompt)

    @work(thread=True, group="delay-claim", exit_on_error=False)
    def _claim(self, prompt: DelayPrompt) -> None:
        desk = self.desk
        calls = desk.delay_calls
        assert calls is not None
        try:
            alert = calls.claim(prompt.alert_id, prompt.alert_version)
        except ConcurrencyConflict as exc:
            self.post_message(self.Refused(self._conflict_text(calls, prompt, exc)))
        except CallCenterError as exc:
            self.post_message(self.Refused(str(exc)))
        except Exception as exc:  # a bug: say so rather than leave the list stuck
            log.exception("taking a delay call failed")
            self.post_message(self.Refused(str(exc) or type(exc).__name__))
        else:
            self.post_message(self.Claimed(prompt, alert.version))

    @work(thread=True, group="call-claim", exit_on_error=False)
    def _claim_item(self, item: DeskItem) -> None:
        desk = self.desk.call_desk
        assert desk is not None
        try:
            task = desk.claim(item.kind, item.ref, item.version)
        except CallCenterError as exc:
            self.post_message(self.Refused(str(exc)))
        except Exception as exc:  # a bug: say so rather than leave the list stuck
            log.exception("taking a call failed")
            self.post_message(self.Refused(str(exc) or type(exc).__name__))
        else:
            self.post_message(self.CallClaimed(item, task.version))

    @on(CallClaimed)
    def _call_claimed(self, message: CallClaimed) -> None:
        self._taking = False
        self.desk.refresh_prompts()
        self.desk.open_call(message.item, message.version, self._call_done)

    def _call_done(self, task: CallTask | None) -> None:
        self.desk.refresh_prompts()
        if task is not None:
            text = saved_text(task, self.desk.tz, self.desk.clock_now())
            self.app.notify(text, timeout=15, markup=False)
            self._back_to_work()
            return
        self.query_one("#cd-table", DataTable).focus()

    def _conflict_text(
        self, calls: DelayCalls, prompt: DelayPrompt, exc: ConcurrencyConflict
    ) -> str:
        """Who has the call and since when, if someone has it; else the service's reason."""
        desk = self.desk
        try:
            now = calls.open_prompts()
        except CallCenterError:
            return str(exc)
        current = next((p for p in now if p.alert_id == prompt.alert_id), None)
        if current is None or current.claimed_by is None:
            return str(exc)
        who = display_name(desk.services, current.claimed_by)
        return handling_text(who, current.claimed_at, desk.tz)

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        self._taking = False
        self.notify(message.text, severity="error", timeout=10, markup=False)
        self.desk.refresh_prompts()

    @on(Claimed)
    def _claimed(self, message: Claimed) -> None:
        self._taking = False
        self.desk.refresh_prompts()  # the others see it taken through the feed; so do we
        self.desk.open_delay_call(message.prompt, message.version, self._form_done)

    def _form_done(self, result: DelayCallResult | None) -> None:
        self.desk.refresh_prompts()
        if result is not None:
            self.app.notify(outcome_text(result, self.desk.tz), timeout=15, markup=False)
            self._back_to_work()
            return
        self.query_one(DataTable).focus()

    def _back_to_work(self) -> None:
        """A call saved: back to where the operator came from (the board, a case), never
        left on the list where the next key would take another call by accident. A call
        given back (Esc) stays on the list: the operator is choosing."""
        self.dismiss(None)

    def action_promise(self) -> None:
        """Promise a call-back to a number with no case (from a case: its own key)."""
        self.desk.open_promise(done=self._promised)

    def _promised(self, _task: object) -> None:
        self.desk.refresh_prompts()

    def action_close(self) -> None:
        self.dismiss(None)


def overdue_span(item: DeskItem, now: datetime) -> str:
    """How long an overdue call has waited past its time: ``25 min``, ``3 h``, ``4 d``."""
    late = now - item.due_at
    minutes = max(int(late.total_seconds() // 60), 0)
    if minutes < 120:
        span = _("{n} min").format(n=minutes)
    elif minutes < 48 * 60:
        span = _("{n} h").format(n=minutes // 60)
    else:
        span = _("{n} d").format(n=minutes // (24 * 60))
    return span
