"""Small modals of the case lifecycle: the on-scene safety checklist, the cancel reason and a
yes/no confirmation (a :class:`~screens.widgets.choice.ChoiceModal`). Each returns its value
with ``dismiss``.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Static

from callcenter.i18n import N_, _
from callcenter.services import Checklist
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.choice import Choice, ChoiceModal

_MODAL_CSS = """
{name} {{
    align: center middle;
    background: $background 60%;
}}
{name} > .modal-box {{
    width: 72;
    max-width: 100%;
    height: auto;
    max-height: 100%;
    border: thick $primary;
    background: $surface;
    padding: 0 1;
}}
{name} .modal-title {{
    text-style: bold;
    width: 100%;
    margin-bottom: 1;
}}
{name} .modal-error {{
    color: $text-error;
    text-style: bold;
    height: auto;
    width: 100%;
}}
{name} .modal-hint {{
    color: $text-muted;
    width: 100%;
}}
{name} .modal-buttons {{
    height: auto;
    width: 100%;
    align-horizontal: right;
    margin-top: 1;
}}
{name} .modal-buttons Button {{
    margin-left: 1;
}}
"""


class ChecklistView(Widget, can_focus=True):
    """The items of the safety checklist, each ``[✓]`` or ``[ ]`` — readable without colour.

    Up/Down move, Space ticks the item under the cursor, 1–3 tick an item directly, a click
    ticks the item clicked. Enter is left to the modal (it confirms).
    """

    DEFAULT_CSS = """
    ChecklistView {
        height: auto;
        width: 100%;
        padding: 0 1;
    }
    """
    BINDINGS = [
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
        Binding("space", "tick", N_("Tick"), show=False),
        Binding("1", "tick(0)", show=False),
        Binding("2", "tick(1)", show=False),
        Binding("3", "tick(2)", show=False),
    ]

    cursor: reactive[int] = reactive(0)

    def __init__(self, labels: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.labels = labels
        self.ticked = [False] * len(labels)

    def render(self) -> Text:
        text = Text()
        for index, label in enumerate(self.labels):
            mark = "[✓]" if self.ticked[index] else "[ ]"
            here = index == self.cursor and self.has_focus
            line = Text(f"{'›' if here else ' '} {mark} {index + 1}. {label}")
            if self.ticked[index]:
                line.stylize("green", 2, 5)
            if here:
                line.stylize("bold reverse")
            if index:
                text.append("\n")
            text.append_text(line)
        return text

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_move(self, step: int) -> None:
        self.cursor = (self.cursor + step) % len(self.labels)

    def action_tick(self, index: int | None = None) -> None:
        index = self.cursor if index is None else index
        if 0 <= index < len(self.labels):
            self.ticked[index] = not self.ticked[index]
            self.cursor = index
            self.refresh()

    def on_click(self, event: events.Click) -> None:
        self.action_tick(event.y)


class ChecklistModal(ModalScreen[Checklist | None]):
    """The on-scene safety checklist (seed 000). Dismisses only when every item is ticked.

    Items: hazard warning lights on; a warning sign 50–100 m behind the vehicle; at night
    also the position and rear lights.
    """

    DEFAULT_CSS = _MODAL_CSS.format(name="ChecklistModal")
    BINDINGS = [
        Binding("enter", "confirm", N_("Confirm arrival")),
        Binding("escape", "back", N_("Go back")),
    ]

    def __init__(self, case_number: str, night: bool) -> None:
        super().__init__()
        translate_bindings(self)
        self.case_number = case_number
        self.night = night

    def items(self) -> list[tuple[str, str]]:
        items = [
            ("hazard_lights", _("Hazard warning lights on")),
            ("warning_sign", _("Warning sign set 50–100 m behind the vehicle")),
        ]
        if self.night:
            items.append(("night_lights", _("At night: position and rear lights on")))
        return items

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Static(
                Content(
                    _("Safety checklist on scene — case {number}").format(number=self.case_number)
                ),
                classes="modal-title",
            )
            yield ChecklistView([label for _key, label in self.items()], id="checklist")
            yield Static("", id="checklist-error", classes="modal-error")
            yield Static(
                Content(_("Space or 1–3 ticks an item; Enter confirms; Esc goes back.")),
                classes="modal-hint",
            )

    def on_mount(self) -> None:
        self.query_one(ChecklistView).focus()

    def checklist(self) -> Checklist:
        view = self.query_one(ChecklistView)
        ticked = {key: view.ticked[i] for i, (key, _label) in enumerate(self.items())}
        return Checklist(**ticked)

    def action_confirm(self) -> None:
        checklist = self.checklist()
        missing = checklist.missing(self.night)
        if missing:
            self.query_one("#checklist-error", Static).update(
                Content(_("Not yet done: {items}.").format(items=_(", ").join(missing)))
            )
            return
        self.dismiss(checklist)

    def action_back(self) -> None:
        self.dismiss(None)


class ReasonModal(ModalScreen[str | None]):
    """Asks for a reason (translated texts given). An empty reason is refused; Esc returns
    None."""

    DEFAULT_CSS = _MODAL_CSS.format(name="ReasonModal")
    BINDINGS = [Binding("escape", "back", N_("Go back"))]

    def __init__(
        self,
        title: str,
        label: str,
        *,
        placeholder: str,
        hint: str,
        empty: str,
        reason: str = "",
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.texts = (title, label, placeholder, hint, empty)
        self.reason = reason

    def compose(self) -> ComposeResult:
        title, label, placeholder, hint, _empty = self.texts
        with Vertical(classes="modal-box"):
            yield Static(Content(title), classes="modal-title")
            yield Label(Content(label))
            yield Input(self.reason, placeholder=placeholder, max_length=500, id="cancel-reason")
            yield Static("", id="cancel-error", classes="modal-error")
            yield Static(Content(hint), classes="modal-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        reason = event.value.strip()
        if not reason:
            self.query_one("#cancel-error", Static).update(Content(self.texts[4]))
            return
        self.dismiss(reason)


class CancelReasonModal(ReasonModal):
    """Asks why the case is cancelled."""

    DEFAULT_CSS = _MODAL_CSS.format(name="CancelReasonModal")

    def __init__(self, case_number: str, reason: str = "") -> None:
        super().__init__(
            _("Cancel case {number}").format(number=case_number),
            _("Cancel reason"),
            placeholder=_("e.g. the owner solved it; duplicate call"),
            hint=_("Enter cancels the case; Esc goes back without cancelling."),
            empty=_("Give the reason for cancelling."),
            reason=reason,
        )
        self.case_number = case_number

    def action_back(self) -> None:
        self.dismiss(None)


class ConfirmModal(ChoiceModal[bool]):
    """A yes/no question before a step that changes a case. Only Enter on the focused yes
    button (or a click) answers yes — no letter does, and nothing typed in the first
    :attr:`ARM_SECONDS` counts: keys typed ahead (a shell command into a still-open
    application) cannot confirm. ``n``/Esc answer no at any time. Plain text."""

    ARM_SECONDS = 0.6

    def __init__(self, question: str, yes: str = "", no: str = "") -> None:
        super().__init__(
            question,
            [
                Choice(
                    True,
                    _("{label} (Enter)").format(label=yes or _("Yes")),
                    (),
                    "primary",
                    id="yes",
                ),
                Choice(
                    False,
                    _("{label} (Esc)").format(label=no or _("No")),
                    ("n", "escape"),
                    id="no",
                ),
            ],
        )

    def on_mount(self) -> None:
        if self.ARM_SECONDS <= 0:
            super().on_mount()
            return
        yes = self.query_one("#yes", Button)
        yes.disabled = True  # neither Enter nor a click until armed
        self.set_timer(self.ARM_SECONDS, self._arm)

    def _arm(self) -> None:
        yes = self.query_one("#yes", Button)
        yes.disabled = False
        yes.focus()
