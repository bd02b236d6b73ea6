"""The intake form (来电登记, 《客户服务原始记录单》): one call typed in well under a minute.

Keys: Tab / Shift+Tab follow the paper form, Enter moves to the next field, Ctrl+S or F2
saves, Ctrl+R fills name and vehicle of a returning caller, Esc leaves (asking first when
anything was typed). What is typed is kept as a draft (:mod:`callcenter.drafts`) on every
change, so neither switching screens nor a closed terminal loses a call.

Caller text is data: everything the operator typed or the archive holds is shown through
:class:`~textual.content.Content`, never formatted into markup.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Checkbox, Footer, Input, Label, Select, Static, TextArea
from textual.worker import get_current_worker

from callcenter import sla, validation
from callcenter.domain import Case, FaultCategory, Priority, RescuePlan, VehicleType
from callcenter.errors import ValidationError
from callcenter.i18n import N_, _
from callcenter.services import Intake, Returning
from callcenter.services.intake import DuplicateCall, OpenCall, duplicate_text
from screens.intake.leave import LeaveIntakeScreen
from screens.kit.format import safe_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.choice import Choice, ChoiceModal
from screens.widgets.form import Form, SelectField
from screens.widgets.modals import ReasonModal
from screens.widgets.tick_box import TickBox

if TYPE_CHECKING:
    from callcenter.drafts import DraftStore

log = logging.getLogger(__name__)

# The fields in the order of the paper form (and of Tab). Names are those of ``Intake``.
FORM_ORDER = (
    "caller_name",
    "phone",
    "plate",
    "no_plate",
    "vehicle_model",
    "vehicle_type",
    "address",
    "coordinates",
    "distance_km",
    "agreed_arrival",
    "fault_description",
    "fault_category",
    "priority",
    "plan",
    "fee_quote",
    "fee_agreed",
    "notes",
)
TEXT_FIELDS = (
    "caller_name",
    "phone",
    "plate",
    "vehicle_model",
    "address",
    "coordinates",
    "distance_km",
    "agreed_arrival",
    "fee_quote",
    "notes",
)
REQUIRED = ("caller_name", "phone", "plate", "address", "distance_km", "fault_description")
# Names the services give a wrong field, where they differ from the form's.
ERROR_FIELDS = {"agreed_arrival_at": "agreed_arrival"}


def money(amount: Decimal) -> str:
    """``0``, ``150``, ``7.90``: no decimals for whole yuan."""
    return f"{amount:.0f}" if amount == amount.to_integral_value() else f"{amount:.2f}"


def tariff_text(plan: RescuePlan, amount: Decimal) -> str:
    """The fee standard of ``plan`` as told to the owner, ``amount`` from the policy's tariff."""
    if plan is RescuePlan.TOWING and amount == 0:
        return _("free within 24 h")
    if plan is RescuePlan.FUEL:
        return _("{amount} yuan plus the fuel").format(amount=money(amount))
    return _("{amount} yuan").format(amount=money(amount))


def is_blank(intake: Intake, tariff: Mapping[RescuePlan, Decimal]) -> bool:
    """Nothing worth keeping was typed (the fee pre-filled from ``tariff`` does not count)."""
    texts = [getattr(intake, name) for name in TEXT_FIELDS if name != "fee_quote"]
    texts.append(intake.fault_description)
    if any(text.strip() for text in texts):
        return False
    fee = intake.fee_quote.strip()
    return not intake.no_plate and not intake.fee_agreed and fee in ("", money(tariff[intake.plan]))


def intake_from_draft(data: dict[str, Any]) -> Intake:
    """An Intake from a saved draft; a value that no longer fits (an old enum) is dropped."""
    intake = Intake()
    for key, value in data.items():
        if not hasattr(intake, key):
            continue
        if isinstance(getattr(intake, key), str) and not isinstance(value, str):
            continue
        try:
            setattr(intake, key, getattr(Intake.from_dict({key: value}), key))
        except (ValueError, TypeError):
            log.warning("draft field %s=%r dropped", key, value)
    return intake


def draft_summary(data: dict[str, Any]) -> Content:
    """One line telling the operator which call a draft is: name, phone, plate, place."""
    intake = intake_from_draft(data)
    parts = [
        p.strip()
        for p in (intake.caller_name, intake.phone, intake.plate, intake.address)
        if p.strip()
    ]
    if intake.no_plate:
        parts.append(_("No plate / temporary"))
    return Content(" · ".join(parts) if parts else _("(nothing typed yet)"))


class IntakeScreen(Form[Intake, Case], Screen[int | None]):
    """A new call: dismisses with the new case's id, or None when the operator leaves."""

    CSS_PATH = "intake.tcss"
    AUTO_FOCUS = "#in-caller_name"
    # Tab, Shift+Tab and Enter are priority bindings: the focus moves before the next key is
    # routed, so keys typed in a burst (type-ahead over a slow SSH link) land in the right
    # field. Without them Textual moves the focus only after the key has bubbled up, and the
    # keys typed just after a Tab go to the field that was left.
    BINDINGS = [
        Binding("tab", "next_field", show=False, priority=True),
        Binding("shift+tab", "previous_field", show=False, priority=True),
        Binding("enter", "enter", show=False, priority=True),
        Binding("ctrl+s,f2", "save", N_("Save"), priority=True),
        Binding("ctrl+r", "fill_returning", N_("Fill from archive"), priority=True),
        Binding("ctrl+k", "add_to_archive", N_("Add to archive"), priority=True),
        # Shown in the warning line itself ("Ctrl+O opens case …"), not in the footer.
        Binding("ctrl+o", "open_duplicate", N_("Open that case"), show=False, priority=True),
        Binding("escape", "leave", N_("Leave")),
        Binding("f1", "app.help", N_("Help")),
    ]
    FIELDS = FORM_ORDER
    REQUIRED = REQUIRED
    ERROR_FIELDS = ERROR_FIELDS
    DRAFT_DELAY = 0.3  # seconds of quiet before the draft is written
    RECOGNISE_DELAY = 0.4  # seconds of quiet before the archive is searched
    PROMISE_REFRESH = 15.0  # the promise moves with the clock

    class RepeatChecked(Message):
        """Whether the plate and fault category repeat a recently completed case."""

        def __init__(self, found: tuple[int, str] | None, key: tuple[str, str]) -> None:
            super().__init__()
            self.found = found
            self.key = key

    class Recognised(Message):
        def __init__(
            self,
            found: Returning | None,
            key: tuple[str, str],
            open_call: OpenCall | None = None,
        ) -> None:
            super().__init__()
            self.found = found
            self.key = key
            self.open_call = open_call

    def __init__(self, draft: dict[str, Any] | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self._draft = draft
        self._restored_silently = False
        self._recognise_timer: Timer | None = None
        self._recognised_key: tuple[str, str] = ("", "")
        self.returning: Returning | None = None
        #: The plate is known under another phone: add this caller to that entry (Ctrl+K).
        self._add_contact = False
        self._repeat_timer: Timer | None = None
        #: The completed case this call would repeat (same plate and fault): (id, number).
        self.repeat_of: tuple[int, str] | None = None
        self._customer_id: int | None = None
        self._plan = RescuePlan.TOWING
        self._call_started = ""
        self._duplicate: Case | None = None  # the plate's open case, met at the save
        #: The case still open for the plate or phone typed, found while typing (Ctrl+O).
        self.open_call: OpenCall | None = None
        self._duplicate_reason = ""  # why a second one is opened (asked then)

    # -- plumbing --------------------------------------------------------------------
    @property
    def cc(self) -> Host:
        return host(self)

    @property
    def tariff(self) -> Mapping[RescuePlan, Decimal]:
        """The fee per plan, from the session's SLA policy."""
        return self.cc.services.policy.tariff

    @property
    def drafts(self) -> DraftStore | None:
        return self.cc.drafts

    def _initial(self) -> Intake:
        data = self._draft
        if data is None and self.drafts is not None:
            try:
                data = self.drafts.load()
            except OSError as exc:
                log.warning("cannot read the draft: %s", exc)
                data = None
            self._restored_silently = bool(data)
        if data:
            intake = intake_from_draft(data)
        else:
            intake = Intake()
            intake.fee_quote = money(self.tariff[intake.plan])
        if not intake.call_started:  # the phone was answered now: the received time
            intake.call_started = self.cc.clock_now().isoformat()
        self._call_started = intake.call_started
        return intake

    # -- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        intake = self._initial()
        self._plan = intake.plan
        self._customer_id = intake.customer_id
        yield Static(self._head(), id="intake-head")
        with VerticalScroll(id="intake-form"):
            yield Static(_("Caller and vehicle"), classes="section")
            yield self.field_row(
                "caller_name",
                _("Caller name"),
                self._input("caller_name", intake.caller_name, _("owner or caller")),
            )
            yield self.field_row(
                "phone",
                _("Phone"),
                self._input("phone", intake.phone, _("e.g. 138 1234 5678 or 0755-8888 6666")),
            )
            plate = self._input("plate", intake.plate, _("e.g. 粤B12345"))
            plate.disabled = intake.no_plate
            yield self.field_row(
                "plate",
                _("Plate"),
                Horizontal(
                    plate,
                    TickBox(
                        _("No plate / temporary"),
                        intake.no_plate,
                        id="in-no_plate",
                        compact=True,
                    ),
                    classes="plate-line",
                ),
            )
            yield self.field_row(
                "vehicle_model",
                _("Vehicle model"),
                self._input("vehicle_model", intake.vehicle_model, _("e.g. Toyota Corolla")),
            )
            yield self.field_row(
                "vehicle_type",
                _("Vehicle type"),
                self._select("vehicle_type", VehicleType, intake.vehicle_type),
            )
            yield Static(_("Location and fault"), classes="section")
            yield self.field_row(
                "address",
                _("Rescue location"),
                self._input("address", intake.address, _("road, landmark, direction")),
            )
            yield self.field_row(
                "coordinates",
                _("Coordinates"),
                self._input("coordinates", intake.coordinates, _("optional: 22.54, 114.06")),
            )
            yield self.field_row(
                "distance_km",
                _("Distance (km)"),
                self._input("distance_km", intake.distance_km, _("from the depot, e.g. 12.5")),
            )
            yield self.field_row(
                "agreed_arrival",
                _("Agreed arrival"),
                self._input(
                    "agreed_arrival", intake.agreed_arrival, _("e.g. 23:30 or tomorrow 08:00")
                ),
                Static("", id="agreed-hint"),
            )
            fault = TextArea(
                intake.fault_description,
                id="in-fault_description",
                compact=True,
                soft_wrap=True,
                highlight_cursor_line=False,
                tab_behavior="focus",
                show_line_numbers=False,
                placeholder=_("what the caller says, in their words"),
            )
            yield self.field_row("fault_description", _("Fault (as told)"), fault)
            yield self.field_row(
                "fault_category",
                _("Fault category"),
                self._select("fault_category", FaultCategory, intake.fault_category),
            )
            yield self.field_row(
                "priority", _("Priority"), self._select("priority", Priority, intake.priority)
            )
            yield Static(_("Rescue plan and fee"), classes="section")
            yield self.field_row(
                "plan", _("Rescue plan"), self._select("plan", RescuePlan, intake.plan)
            )
            yield self.field_row(
                "fee_quote",
                _("Fee quote (yuan)"),
                self._input("fee_quote", intake.fee_quote, _("from the tariff")),
                Static(self._disclosure(intake.plan), id="fee-disclosure"),
            )
            yield self.field_row(
                "fee_agreed",
                _("Owner agrees"),
                TickBox(
                    _("Fee standard told; the owner agrees"),
                    intake.fee_agreed,
                    id="in-fee_agreed",
                    compact=True,
                ),
            )
            yield self.field_row(
                "notes", _("Notes"), self._input("notes", intake.notes, _("anything else"))
            )
        with Vertical(id="intake-status"):
            yield Static("", id="open-call")
            yield Static("", id="promise")
            yield Static("", id="returning")
            yield Static("", id="repeat-repair")
        yield Footer()

    def _head(self) -> Content:
        services = self.cc.services
        started = services.received_at(self._call_started)
        return Content.assemble(
            (_("Customer service record: new call"), "bold"),
            "   ",
            _("Call started {time}").format(time=services.local(started)),
            "   ",
            _("Operator {user}").format(
                user=safe_text(
                    services.staff.display_name if services.staff else self.cc.settings.user
                )
            ),
        )

    def _input(self, name: str, value: str, placeholder: str) -> Input:
        return Input(
            value,
            placeholder=placeholder,
            id=f"in-{name}",
            compact=True,
            validate_on=[],  # our own checks set -invalid; Input must not clear it
        )

    def _select(self, name: str, enum: type[Any], value: Any) -> Select[Any]:
        return SelectField(
            [(member.label, member) for member in enum],
            value=value,
            allow_blank=False,
            compact=True,
            id=f"in-{name}",
        )

    def _disclosure(self, plan: RescuePlan) -> Content:
        return Content.assemble(
            (_("Tell the owner the rescue fee standard:"), "bold"),
            " ",
            f"{plan.label} — {tariff_text(plan, self.tariff[plan])}",
        )

    # -- reading and writing the widgets ---------------------------------------------
    def widget(self, name: str) -> Widget:
        return self.field(name)

    def text(self, name: str) -> str:
        widget = self.widget(name)
        if isinstance(widget, TextArea):
            return widget.text
        assert isinstance(widget, Input)
        return widget.value

    def choice(self, name: str) -> Any:
        select = self.query_one(f"#in-{name}", Select)
        return select.value

    def checked(self, name: str) -> bool:
        return self.query_one(f"#in-{name}", Checkbox).value

    def form_values(self) -> Intake:
        return self.intake()

    def intake(self) -> Intake:
        """What is on the form now, as the services take it."""
        return Intake(
            caller_name=self.text("caller_name"),
            phone=self.text("phone"),
            plate=self.text("plate"),
            no_plate=self.checked("no_plate"),
            vehicle_model=self.text("vehicle_model"),
            vehicle_type=self.choice("vehicle_type"),
            address=self.text("address"),
            coordinates=self.text("coordinates"),
            distance_km=self.text("distance_km"),
            fault_description=self.text("fault_description"),
            fault_category=self.choice("fault_category"),
            priority=self.choice("priority"),
            plan=self.choice("plan"),
            fee_quote=self.text("fee_quote"),
            fee_agreed=self.checked("fee_agreed"),
            agreed_arrival=self.text("agreed_arrival"),
            notes=self.text("notes"),
            customer_id=self._customer_id,
            call_started=self._call_started,
            add_to_archive=self._add_contact and self._new_contact(),
        )

    def _set_text(self, name: str, value: str) -> None:
        widget = self.widget(name)
        if isinstance(widget, Input):
            widget.value = value
            widget.cursor_position = len(value)

    def _name_of(self, widget: Widget | None) -> str:
        return (widget.id or "").removeprefix("in-") if widget is not None else ""

    # -- lifecycle -------------------------------------------------------------------
    def on_mount(self) -> None:
        self.remember()
        self._update_promise()
        self._update_required()
        self._show_returning()
        self._show_open_call()
        self.query_one("#repeat-repair", Static).display = False
        self.set_interval(self.PROMISE_REFRESH, self._update_promise)
        if self._restored_silently:
            self.notify(_("The unfinished call was restored."))
        if self.text("phone").strip() or self.text("plate").strip():
            self._schedule_recognise()
        if self.text("plate").strip():
            self._schedule_repeat()

    def on_screen_suspend(self) -> None:
        self.save_draft()

    def on_unmount(self) -> None:
        self.save_draft()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._mark_row(event.widget, True)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._mark_row(event.widget, False)
        self.save_draft()

    def _mark_row(self, widget: Widget, focused: bool) -> None:
        """The row being typed in shows it (its label lights up): ``.field.-focus``."""
        for node in widget.ancestors_with_self:
            if isinstance(node, Widget) and node.has_class("field"):
                node.set_class(focused, "-focus")
                return

    # -- drafts ----------------------------------------------------------------------
    @property
    def draft_store(self) -> DraftStore | None:
        return self.drafts

    def draft_data(self, values: Intake) -> dict[str, Any] | None:
        return None if is_blank(values, self.tariff) else values.to_dict()

    # -- live reactions --------------------------------------------------------------
    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        name = self._name_of(event.input)
        if name in ("phone", "plate"):
            self._schedule_recognise()
        if name == "caller_name" and self.returning is not None:
            self._show_returning()  # another name for a known plate: the offer changes
        if name == "plate":
            self._schedule_repeat()
        if name in ("distance_km", "agreed_arrival"):
            self._update_promise()
            self._update_required()
        self._recheck(name)
        self.form_changed()

    @on(Input.Blurred)
    def _input_blurred(self, event: Input.Blurred) -> None:
        name = self._name_of(event.input)
        message = self.check_field(name)
        if message is not None:
            self.set_error(name, message)

    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def action_enter(self) -> None:
        """Enter in a one-line field moves on, like Tab; elsewhere it does its usual work
        (opens a list, ticks a box, starts a new line of the fault description)."""
        if not isinstance(self.focused, Input):
            raise SkipAction()
        self.focus_next()

    @on(TextArea.Changed)
    def _text_changed(self, event: TextArea.Changed) -> None:
        self._recheck(self._name_of(event.text_area))
        self.form_changed()

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        name = self._name_of(event.select)
        if name == "plan" and isinstance(event.value, RescuePlan):
            self._apply_tariff(event.value)
        if name == "priority":
            self._update_promise()
            self._update_required()
        if name == "fault_category":
            self._schedule_repeat()
        self.form_changed()

    @on(Checkbox.Changed)
    def _checkbox_changed(self, event: Checkbox.Changed) -> None:
        name = self._name_of(event.checkbox)
        if name == "no_plate":
            plate = self.query_one("#in-plate", Input)
            plate.disabled = event.value
            if event.value:
                self.clear_error("plate")
            self._schedule_recognise()
        self.form_changed()

    def _apply_tariff(self, plan: RescuePlan) -> None:
        """Pre-fill the fee of the new plan unless the operator typed another amount."""
        fee = self.query_one("#in-fee_quote", Input)
        if fee.value.strip() in ("", money(self.tariff[self._plan])):
            fee.value = money(self.tariff[plan])
            self.clear_error("fee_quote")
        self._plan = plan
        self.query_one("#fee-disclosure", Static).update(self._disclosure(plan))

    # -- the promised arrival --------------------------------------------------------
    def _update_promise(self) -> None:
        try:
            distance = self.text("distance_km")
            agreed = self.text("agreed_arrival")
            priority = self.choice("priority")
        except NoMatches:
            return
        label = self.query_one("#promise", Static)
        services = self.cc.services
        label.remove_class("-warning", "-ok")
        if not distance.strip():
            label.update(Content(_("Promised arrival: type the distance")))
            return
        try:
            promise = services.promise_for(distance, agreed, priority, self._call_started)
        except ValidationError as exc:
            label.add_class("-warning")
            label.update(Content("⚠ " + exc.message))
            return
        if promise is None:
            label.update(Content(_("This SLA policy promises no arrival time.")))
            return
        now = self.cc.clock_now()
        minutes = round((promise - now).total_seconds() / 60)
        when = services.local(promise)
        if promise.astimezone(self.cc.tz).date() != now.astimezone(self.cc.tz).date():
            when = services.local(promise, "%m-%d %H:%M")
        if agreed.strip():
            text = _("Promised arrival {time} ({minutes} min, agreed with the owner)")
        else:
            text = _("Promised arrival {time} ({minutes} min)")
        label.add_class("-ok")
        label.update(Content(text.format(time=when, minutes=minutes)))

    def requires_agreed_time(self) -> bool:
        try:
            km = validation.parse_distance(self.text("distance_km"))
        except ValidationError:
            return False
        return sla.requires_agreed_time(self.cc.services.policy, km, self.choice("priority"))

    def _update_required(self) -> None:
        try:
            required = self.requires_agreed_time()
            row = self.query_one("#row-agreed_arrival")
        except NoMatches:
            return
        row.set_class(required, "-required")
        label = _("Agreed arrival")
        self.query_one("#label-agreed_arrival", Label).update(
            Content(f"{label} *" if required else label)
        )
        hint = self.query_one("#agreed-hint", Static)
        show = required and not self.text("agreed_arrival").strip()
        hint.update(
            Content(_("Required at this distance: agree a time with the owner.")) if show else ""
        )
        hint.set_class(show, "-shown")

    # -- repeated repair (same plate and fault within the policy's days) -----------------
    def _repeat_key(self) -> tuple[str, str]:
        plate = "" if self.checked("no_plate") else self.text("plate").strip()
        value = self.query_one("#in-fault_category", Select).value
        return (plate, str(value) if value is not Select.NULL else "")

    def _schedule_repeat(self) -> None:
        if self._repeat_timer is not None:
            self._repeat_timer.stop()
        self._repeat_timer = self.set_timer(self.RECOGNISE_DELAY, self._start_repeat)

    def _start_repeat(self) -> None:
        plate, category = self._repeat_key()
        if not plate or not category:
            self._show_repeat(None)
            return
        self.check_repeat(plate, category)

    @work(thread=True, exclusive=True, group="repeat-repair", exit_on_error=False)
    def check_repeat(self, plate: str, category: str) -> None:
        worker = get_current_worker()
        try:
            found = self.cc.services.repeat_repair_of(plate, category)
        except Exception as exc:  # a lookup that fails must never disturb the typing
            log.warning("repeat-repair check %r/%r failed: %s", plate, category, exc)
            return
        if not worker.is_cancelled:
            self.post_message(self.RepeatChecked(found, (plate, category)))

    def on_intake_screen_repeat_checked(self, message: RepeatChecked) -> None:
        if message.key == self._repeat_key():
            self._show_repeat(message.found)

    def _show_repeat(self, found: tuple[int, str] | None) -> None:
        """A warning: the same vehicle and fault as a case completed lately (seed 002:
        不允许同一问题重复修理); the saved case is flagged too."""
        self.repeat_of = found
        label = self.query_one("#repeat-repair", Static)
        label.display = found is not None
        if found is not None:
            days = self.cc.services.policy.complaints.repeat_repair_days
            label.update(
                Content(
                    _(
                        "⚠ Repeated repair: same vehicle and fault as case {number}, "
                        "completed within {days} days."
                    ).format(number=found[1], days=days)
                )
            )

    # -- returning caller ------------------------------------------------------------
    def _recognise_key(self) -> tuple[str, str]:
        plate = "" if self.checked("no_plate") else self.text("plate").strip()
        return (self.text("phone").strip(), plate)

    def _schedule_recognise(self) -> None:
        if self._recognise_timer is not None:
            self._recognise_timer.stop()
        self._recognise_timer = self.set_timer(self.RECOGNISE_DELAY, self._start_recognise)

    def _start_recognise(self) -> None:
        key = self._recognise_key()
        if key == self._recognised_key:
            return
        if not any(key):
            self._recognised_key = key
            self.returning = None
            self.open_call = None
            self._show_returning()
            self._show_open_call()
            return
        self.recognise(*key)

    @work(thread=True, exclusive=True, group="recognise", exit_on_error=False)
    def recognise(self, phone: str, plate: str) -> None:
        """Look the caller up in the archive (a thread: the database may be remote)."""
        worker = get_current_worker()
        services = self.cc.services
        try:
            found = services.recognise(phone=phone, plate=plate)
            open_call = services.open_call_for(phone=phone, plate=plate)
        except Exception as exc:  # a lookup that fails must never disturb the typing
            log.warning("recognise %r/%r failed: %s", phone, plate, exc)
            return
        if not worker.is_cancelled:
            self.post_message(self.Recognised(found, (phone, plate), open_call))

    def on_intake_screen_recognised(self, message: Recognised) -> None:
        if message.key != self._recognise_key():
            return  # the operator typed on since; a newer lookup is coming
        self._recognised_key = message.key
        self.returning = message.found
        self.open_call = message.open_call
        if message.found is None or not message.found.new_contact:
            self._add_contact = False
        self._show_returning()
        self._show_open_call()

    # -- a call for a case still open (the duplicate call guard, while typing) -----------
    def _show_open_call(self) -> None:
        """Tell the operator at once that the plate or phone typed has a case still open:
        where it stands, and Ctrl+O to open it instead of registering a new one."""
        label = self.query_one("#open-call", Static)
        found = self.open_call
        self.refresh_bindings()
        label.display = found is not None
        if found is None:
            label.update("")
            return
        case = found.case
        said = duplicate_text(case, self.cc.tz, found.crew, self.cc.clock_now())
        head = (
            _("⚠ This vehicle has an open case:")
            if found.by_plate
            else _("⚠ This phone has an open case:")
        )
        label.update(
            Content.assemble(
                (head, "bold"),
                " ",
                Content(said),
                "  ",
                (_("Ctrl+O opens case {number}").format(number=case.number), "reverse"),
            )
        )

    def action_open_duplicate(self) -> None:
        """Open the case still open instead of a new one; what was typed stays a draft."""
        found = self.open_call
        if found is None or found.case.id is None:
            return
        self.save_draft()
        self.dismiss(None)
        self.cc.open_case(found.case.id)

    def _show_returning(self) -> None:
        label = self.query_one("#returning", Static)
        found = self.returning
        label.set_class(found is not None, "-found")
        self.refresh_bindings()
        if found is None:
            label.update("")
            label.display = False
            return
        label.display = True
        tz = self.cc.tz
        vehicle = ""
        if found.vehicle is not None:
            vehicle = " ".join(p for p in (found.vehicle.plate, found.vehicle.model) if p)
        who = ", ".join(p for p in (found.customer.name, vehicle) if p)
        recent = [
            " ".join(
                p
                for p in (
                    case.number,
                    case.received_at.astimezone(tz).strftime("%m-%d"),
                    case.plan.label,
                )
                if p
            )
            for case in found.recent[:3]
        ]
        parts: list[Content | tuple[str, str] | str] = [
            (_("Returning caller:"), "bold"),
            " ",
            Content(who),
            "  ",
            (_("Ctrl+R fills name and vehicle"), "reverse"),
            "\n",
            _("Last cases:"),
            " ",
            Content("; ".join(recent) if recent else _("none")),
        ]
        if self._new_contact():
            owner = found.customer
            said = (
                _("The plate is in the archive under {name} ({phone}), not this phone.")
                if found.new_contact
                else _("The plate is in the archive under {name} ({phone}), not this name.")
            )
            parts += [
                "\n",
                (said.format(name=owner.name, phone=validation.format_phone(owner.phone)), "bold"),
                " ",
                (
                    _("✓ this caller will be added to the archive (Ctrl+K: undo)")
                    if self._add_contact
                    else _("Ctrl+K: add this caller to the archive"),
                    "reverse",
                ),
            ]
        label.update(Content.assemble(*parts))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fill_returning":
            return True if self.returning is not None else None
        if action == "add_to_archive":
            return self._new_contact()
        if action == "open_duplicate":
            return True if self.open_call is not None else None
        return True

    def _new_contact(self) -> bool:
        """The plate is known, and the phone or the name typed is not its owner's."""
        found = self.returning
        if found is None or found.vehicle is None:
            return False
        if found.new_contact:
            return True
        typed = self.text("caller_name").strip()
        plate = self.text("plate").strip()
        try:
            same_plate = bool(plate) and validation.normalize_plate(plate) == found.vehicle.plate
        except ValidationError:
            same_plate = False
        return same_plate and bool(typed) and typed != found.customer.name

    def action_add_to_archive(self) -> None:
        """Add this caller's phone (and name) to the archive entry of the plate's owner when
        the call is saved (or undo that)."""
        if not self._new_contact():
            return
        self._add_contact = not self._add_contact
        self._show_returning()

    def action_fill_returning(self) -> None:
        found = self.returning
        if found is None:
            self.notify(_("No returning caller to fill from."))
            return
        self._set_text("caller_name", found.customer.name)
        self._customer_id = found.customer.id
        vehicle = found.vehicle
        if vehicle is not None and not self.checked("no_plate"):
            typed = self.text("plate")
            same = False
            if typed.strip():
                try:
                    same = validation.normalize_plate(typed) == vehicle.plate
                except ValidationError:
                    same = False
            if not typed.strip() or same:
                self._set_text("plate", vehicle.plate)
                self._set_text("vehicle_model", vehicle.model)
                self.query_one("#in-vehicle_type", Select).value = vehicle.vehicle_type
        for name in ("caller_name", "plate", "vehicle_model"):
            self._recheck(name)
        self.notify(
            _("Filled from the archive: {name}").format(name=found.customer.name),
            markup=False,
        )
        self.form_changed()

    # -- validation ------------------------------------------------------------------
    def _field_checks(self) -> dict[str, Callable[[str], object]]:
        services = self.cc.services
        return {
            "phone": validation.parse_phone,
            "plate": validation.normalize_plate,
            "distance_km": validation.parse_distance,
            "fee_quote": validation.parse_fee,
            "agreed_arrival": lambda text: validation.parse_local_datetime(
                text, services.tz, self.cc.clock_now()
            ),
        }

    def check_field(self, name: str) -> str | None:
        """The message for a field typed wrong (checked on leaving it); None if fine or empty."""
        check = self._field_checks().get(name)
        if check is None:
            return None
        if name == "plate" and self.checked("no_plate"):
            return None
        text = self.text(name)
        if not text.strip():
            return None
        try:
            check(text)
        except ValidationError as exc:
            return exc.message
        return None

    def _recheck(self, name: str) -> None:
        """Clear a field's error as soon as what is typed there is right."""
        if name not in self.errors:
            return
        if name in self._field_checks():
            if self.text(name).strip() and self.check_field(name) is None:
                self.clear_error(name)
        elif name in REQUIRED and self.text(name).strip():
            self.clear_error(name)

    # -- saving ----------------------------------------------------------------------
    def submit(self, values: Intake) -> Case:
        values.duplicate_reason = self._duplicate_reason
        try:
            return self.cc.services.take_call(values)
        except DuplicateCall as exc:  # the plate has an open case: asked in form_rejected
            self._duplicate = exc.case
            raise

    def form_saving(self, saving: bool) -> None:
        self.query_one("#intake-head", Static).set_class(saving, "-saving")

    def form_rejected(self, errors: dict[str, str]) -> None:
        if "duplicate_reason" in errors and self._duplicate is not None:
            self._ask_duplicate(errors.pop("duplicate_reason"), self._duplicate)
            if not errors:
                return
        wrong = self.show_errors(errors)
        if wrong:
            self.notify(
                _("Check the marked fields ({count}).").format(count=len(wrong)),
                severity="warning",
            )

    def form_failed(self, error: Exception) -> None:
        self.notify(
            _("The call was not saved: {error}").format(error=str(error) or type(error).__name__),
            severity="error",
            timeout=10,
            markup=False,
        )

    def form_saved(self, result: Case) -> None:
        self.finish()
        self.app.notify(_("Case {number} registered").format(number=result.number), markup=False)
        self.dismiss(result.id)

    def _ask_duplicate(self, said: str, case: Case) -> None:
        """The plate has an open case: open that one (the draft is kept), or say why a
        second one is opened and save again."""
        choices: list[Choice[str | None]] = [
            Choice(
                "open",
                _("Open case {number} (O)").format(number=case.number),
                ("o",),
                "primary",
                id="dup-open",
            ),
            Choice("second", _("A second case… (S)"), ("s",), id="dup-second"),
            Choice(None, _("Back to the form (Esc)"), ("escape",), id="dup-back"),
        ]
        modal: ChoiceModal[str | None] = ChoiceModal(
            _("This vehicle already has an open case"),
            choices,
            lines=[said, _("Tell the caller where it stands, or open a second case.")],
        )

        def chosen(choice: str | None) -> None:
            if choice == "open" and case.id is not None:
                self.save_draft()
                self.dismiss(None)
                self.cc.open_case(case.id)
            elif choice == "second":
                self.app.push_screen(
                    ReasonModal(
                        _("A second open case for this plate"),
                        _("Why is a second case opened?"),
                        placeholder=_("e.g. a second vehicle, another fault"),
                        hint=_("Enter: save the call · Esc: back"),
                        empty=_("Give the reason."),
                    ),
                    self._second_case,
                )

        self.app.push_screen(modal, chosen)

    def _second_case(self, reason: str | None) -> None:
        if not reason:
            return
        self._duplicate_reason = reason
        self.action_save()

    # -- leaving ---------------------------------------------------------------------
    def action_leave(self) -> None:
        if is_blank(self.intake(), self.tariff):
            self._discard()
            return
        self.app.push_screen(LeaveIntakeScreen(), self._left)

    def _left(self, choice: str | None) -> None:
        if choice == "keep":
            self.save_draft()
            self.finish(forget=False)  # the draft is written; nothing more to keep
            self.dismiss(None)
        elif choice == "discard":
            self._discard()

    def _discard(self) -> None:
        self.finish()
        self.dismiss(None)
