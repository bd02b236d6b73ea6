"""The service record (救援服务记录单 / 现场服务登记表): what the crew did, what it cost, and
the owner's acceptance. Saving the first record completes the case; Esc leaves it on scene.

Every field is filled (seed 004: "不得留有空格"): the service names each empty one beside it.
What is typed is kept as a draft per case, so Esc, a crash or a dropped link loses nothing;
the draft comes back the next time the record of that case is opened. Ctrl+S saves through
one service call (:meth:`Services.save_record`) with the versions the operator saw.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Input, RadioButton, RadioSet, Static, TextArea

from callcenter.domain import Case
from callcenter.drafts import DraftStore
from callcenter.errors import CallCenterError, ConcurrencyConflict
from callcenter.i18n import N_, _
from callcenter.records.model import AcceptanceMethod, ServiceRecord
from callcenter.records.parse import AcceptanceInput, RecordInput
from callcenter.sla import policy_title
from screens.kit.format import error_text, safe_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.form import Form, RadioField
from screens.widgets.tick_box import Choice, TickBox

_TEXT_FIELDS = (
    "crew_members",
    "work_started",
    "work_finished",
    "fee_labour",
    "fee_parts",
    "fee_towing",
    "towing_km",
    "fee_other",
    "accepted_by",
    "accepted_at",
)
_AREAS = ("cause", "solution", "parts")


@dataclass(frozen=True)
class Opened:
    """What the form starts from: the case, its record (None: a new one), the text."""

    case: Case
    record: ServiceRecord | None
    initial: RecordInput
    draft: DraftStore | None = None  # where what is typed is kept (None: nowhere)


class RecordScreen(Form[RecordInput, ServiceRecord], Screen[ServiceRecord | None]):
    """The service record of one case; dismisses with the record as saved, or None."""

    CSS_PATH = "records.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True),
        Binding("escape", "leave", N_("Leave (kept as a draft)")),
    ]
    FIELDS = (
        "crew_members",
        "work_started",
        "work_finished",
        "cause",
        "solution",
        "parts",
        "fee_labour",
        "fee_parts",
        "fee_towing",
        "towing_km",
        "fee_other",
        "warranty",
        "accepted",
        "accepted_by",
        "acceptance_method",
        "accepted_at",
    )
    REQUIRED = FIELDS
    FIELD_ID = "rec-"
    ROW_ID = "rec-"
    OTHER_ERRORS = "crew_members"

    def __init__(self, opened: Opened) -> None:
        super().__init__()
        translate_bindings(self)
        self.opened = opened
        self.case = opened.case
        self._store = opened.draft
        self.initial = self._with_draft(opened.initial)

    @property
    def cc(self) -> Host:
        return host(self)

    # -- the draft -----------------------------------------------------------------------
    @property
    def draft_store(self) -> DraftStore | None:
        return self._store

    def draft_data(self, values: RecordInput) -> dict[str, Any] | None:
        if values == self.opened.initial:
            return None
        return asdict(values)

    def _with_draft(self, initial: RecordInput) -> RecordInput:
        if self._store is None:
            return initial
        try:
            data = self._store.load()
        except (OSError, ValueError):
            return initial
        if not data:
            return initial
        try:
            acceptance = AcceptanceInput(**data.pop("acceptance", {}))
            return RecordInput(**data, acceptance=acceptance)
        except TypeError:
            return initial

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        raw, case = self.initial, self.case
        title = _("Service record — case {number}").format(number=case.number)
        if self.opened.record is not None:
            title += "  " + _("(editing version {n})").format(n=self.opened.record.version)
        yield Static(Content(title), id="rec-head")
        with VerticalScroll(id="rec-form"):
            yield Static(
                Content(
                    safe_text(
                        f"{case.plate}  {case.caller_name}  {case.plan.label}  {case.address}"
                    )
                ),
                id="rec-case",
            )
            yield Static(_("Crew and work"), classes="section")
            yield self._text("crew_members", _("Crew members"), raw.crew_members, _("names"))
            yield self._text("work_started", _("Work started"), raw.work_started, _("e.g. 21:40"))
            yield self._text(
                "work_finished", _("Work finished"), raw.work_finished, _("e.g. 22:15")
            )
            yield Static(_("Fault and repair"), classes="section")
            yield self._area("cause", _("Cause analysis"), raw.cause, _("why the fault happened"))
            yield self._area("solution", _("Solution"), raw.solution, _("what the crew did"))
            yield Static(_("Parts replaced"), classes="section")
            yield self.field_row(
                "parts",
                _("Parts"),
                TickBox(_("No parts replaced"), raw.no_parts, id="rec-no_parts", compact=True),
                self._area_widget(
                    "parts",
                    raw.parts,
                    _("one per line: name, quantity, part number, genuine yes/no"),
                    disabled=raw.no_parts,
                ),
            )
            yield Static(
                Content(
                    _("Fees — tariff of policy “{policy}”").format(
                        policy=policy_title(
                            self.cc.services.policy.name, self.cc.services.policy.title
                        )
                    )
                ),
                classes="section",
            )
            yield self._text("fee_labour", _("Labour (yuan)"), raw.fee_labour, "0")
            yield self._text("fee_parts", _("Parts (yuan)"), raw.fee_parts, "0")
            yield self._text("fee_towing", _("Towing (yuan)"), raw.fee_towing, "0")
            yield self._text("towing_km", _("Towing (km)"), raw.towing_km, "0")
            yield self._text("fee_other", _("Other (yuan)"), raw.fee_other, "0")
            yield Static("", id="rec-total")
            with self.field_row("warranty", _("Warranty")), RadioField(id="rec-warranty"):
                yield Choice(_("In warranty"), raw.warranty == "in", id="rec-warranty-in")
                yield Choice(_("Out of warranty"), raw.warranty == "out", id="rec-warranty-out")
            yield Static(_("The owner's acceptance"), classes="section")
            accepted = raw.acceptance.accepted
            with self.field_row("accepted", _("Accepted")), RadioField(id="rec-accepted"):
                yield Choice(_("Yes, accepted"), accepted == "yes", id="rec-accepted-yes")
                yield Choice(
                    _("No: invalid service"),
                    accepted == "no",
                    id="rec-accepted-no",
                )
            yield self._text(
                "accepted_by",
                _("Accepted by"),
                raw.acceptance.accepted_by,
                _("the owner's name"),
            )
            method = raw.acceptance.method
            with (
                self.field_row("acceptance_method", _("How")),
                RadioField(id="rec-acceptance_method"),
            ):
                for choice in AcceptanceMethod:
                    yield Choice(
                        choice.label, method == choice.value, id=f"rec-method-{choice.value}"
                    )
            yield self._text(
                "accepted_at", _("Accepted at"), raw.acceptance.accepted_at, _("e.g. 22:20")
            )
            yield Static(
                Content(
                    _("Recorded by {who}").format(
                        who=self.cc.staff_names.get(self.cc.services.actor)
                        or self.cc.services.actor
                    )
                ),
                id="rec-by",
            )
        yield Footer()

    def _text(self, name: str, label: str, value: str, placeholder: str) -> Any:
        return self.field_row(
            name,
            label,
            Input(
                value,
                placeholder=placeholder,
                id=f"rec-{name}",
                compact=True,
                validate_on=[],
            ),
        )

    def _area_widget(
        self, name: str, value: str, placeholder: str, *, disabled: bool = False
    ) -> TextArea:
        area = TextArea(
            value,
            id=f"rec-{name}",
            compact=True,
            soft_wrap=True,
            highlight_cursor_line=False,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder=placeholder,
        )
        area.disabled = disabled
        return area

    def _area(self, name: str, label: str, value: str, placeholder: str) -> Any:
        return self.field_row(name, label, self._area_widget(name, value, placeholder))

    def on_mount(self) -> None:
        self._show_total()
        self._show_acceptance()
        first = "crew_members" if not self.initial.crew_members else "cause"
        self.field(first).focus()

    # -- values --------------------------------------------------------------------------
    def _radio(self, name: str, choices: tuple[str, ...]) -> str:
        for choice in choices:
            if self.query_one(f"#rec-{name}-{choice}", RadioButton).value:
                return choice
        return ""

    def form_values(self) -> RecordInput:
        text = {n: self.query_one(f"#rec-{n}", Input).value for n in _TEXT_FIELDS}
        areas = {n: self.query_one(f"#rec-{n}", TextArea).text for n in _AREAS}
        method = ""
        for choice in AcceptanceMethod:
            if self.query_one(f"#rec-method-{choice.value}", RadioButton).value:
                method = choice.value
        return RecordInput(
            crew_members=text["crew_members"],
            work_started=text["work_started"],
            work_finished=text["work_finished"],
            cause=areas["cause"],
            solution=areas["solution"],
            no_parts=self.query_one("#rec-no_parts", Checkbox).value,
            parts=areas["parts"],
            fee_labour=text["fee_labour"],
            fee_parts=text["fee_parts"],
            fee_towing=text["fee_towing"],
            towing_km=text["towing_km"],
            fee_other=text["fee_other"],
            warranty=self._radio("warranty", ("in", "out")),
            acceptance=AcceptanceInput(
                accepted=self._radio("accepted", ("yes", "no")),
                accepted_by=text["accepted_by"],
                method=method,
                accepted_at=text["accepted_at"],
            ),
        )

    # -- live feedback -------------------------------------------------------------------
    def _show_total(self) -> None:
        total = Decimal("0")
        unreadable = False
        for name in ("fee_labour", "fee_parts", "fee_towing", "fee_other"):
            value = self.query_one(f"#rec-{name}", Input).value.strip().lstrip("¥￥")
            try:
                total += Decimal(value.removesuffix("元") or "0")
            except InvalidOperation:
                unreadable = True
        text = _("Total ¥{total}").format(total=f"{total:,.2f}")
        if unreadable:
            text += "  " + _("(an amount cannot be read)")
        self.query_one("#rec-total", Static).update(Content(text))

    def _show_acceptance(self) -> None:
        declined = self._radio("accepted", ("yes", "no")) == "no"
        for name in ("accepted_by", "acceptance_method", "accepted_at"):
            self.query_one(f"#rec-row-{name}").set_class(declined, "-off")
        self.query_one("#rec-head").set_class(declined, "-invalid-service")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("rec-")
        self.clear_error(name)
        if name.startswith("fee_"):
            self._show_total()
        self.form_changed()

    @on(TextArea.Changed)
    def _area_typed(self, event: TextArea.Changed) -> None:
        self.clear_error((event.text_area.id or "").removeprefix("rec-"))
        self.form_changed()

    @on(Checkbox.Changed, "#rec-no_parts")
    def _no_parts(self, event: Checkbox.Changed) -> None:
        self.query_one("#rec-parts", TextArea).disabled = event.value
        self.clear_error("parts")
        self.form_changed()

    @on(RadioSet.Changed)
    def _chosen(self, event: RadioSet.Changed) -> None:
        name = (event.radio_set.id or "").removeprefix("rec-")
        self.clear_error(name)
        if name == "accepted":
            self._show_acceptance()
        self.form_changed()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # -- saving --------------------------------------------------------------------------
    def submit(self, values: RecordInput) -> ServiceRecord:
        record = self.opened.record
        return self.cc.services.save_record(
            self.case.id or 0,
            values,
            case_version=self.case.version,
            record_version=record.version if record is not None else None,
        )

    def field_row(self, name: str, label: str, *widgets: Any) -> Any:
        self.__dict__.setdefault("_labels", {})[name] = label
        return super().field_row(name, label, *widgets)

    def form_rejected(self, errors: dict[str, str]) -> None:
        """Each message beside its field; the head says how many and which, since on a small
        terminal most of them are below the fold."""
        wrong = self.show_errors(errors)
        labels: dict[str, str] = self.__dict__.get("_labels", {})
        head = self.query_one("#rec-head", Static)
        head.update(
            Content(
                _("{n} fields to fill in or correct: {fields}").format(
                    n=len(wrong), fields=_(", ").join(labels.get(name, name) for name in wrong)
                )
            )
        )
        head.add_class("-errors")

    def form_saving(self, saving: bool) -> None:
        self.query_one("#rec-head").set_class(saving, "-saving")

    def form_saved(self, result: ServiceRecord) -> None:
        self.finish()
        message = _("{number}: service record saved.").format(number=self.case.number)
        if not result.is_valid:
            message += " " + _("Not accepted by the owner: the service counts as invalid.")
        self.notify(message, severity="information" if result.is_valid else "warning")
        self.dismiss(result)

    def form_failed(self, error: Exception) -> None:
        text = error_text(error, self.cc.tz) if isinstance(error, CallCenterError) else str(error)
        if isinstance(error, ConcurrencyConflict):
            text += " " + _("What you typed is kept: Esc, open the case again and re-enter it.")
        self.notify(text, severity="error", timeout=12, markup=False)

    def action_leave(self) -> None:
        if self.saving:
            return
        self.save_draft()
        self.finish(forget=False)
        self.dismiss(None)
