"""A small modal form of text fields saved by one service call: a reason, a position, a new
promise. Built on the form kit (:mod:`screens.widgets.form`): Ctrl+S (or Enter on the last
field) runs ``submit`` in a thread; a :class:`~callcenter.errors.ValidationError` shows on its
field, any other refusal (a conflict, a permission) on the line under the fields — the form
stays open and nothing typed is lost. Esc goes back without saving."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.form import Form


@dataclass(frozen=True)
class TextField:
    """One field: its name (as the service names it in a ValidationError), label, example."""

    name: str
    label: str
    placeholder: str = ""
    value: str = ""
    max_length: int = 500


class TextFieldsForm(Form[dict[str, str], Any], ModalScreen[Any]):
    """Dismisses with what ``submit`` returned, or None (Esc)."""

    DEFAULT_CSS = """
    TextFieldsForm {
        align: center middle;
        background: $background 60%;
    }
    TextFieldsForm .tf-box {
        width: 80;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $warning;
        background: $surface;
        padding: 0 1;
    }
    TextFieldsForm .tf-title {
        width: 100%;
        text-style: bold;
        color: $text-warning;
        margin-bottom: 1;
    }
    TextFieldsForm .tf-note, TextFieldsForm .tf-hint {
        width: 100%;
        height: auto;
        color: $text-muted;
    }
    TextFieldsForm .tf-note {
        margin-bottom: 1;
    }
    TextFieldsForm #tf-message {
        width: 100%;
        height: auto;
        color: $text-error;
        text-style: bold;
    }
    TextFieldsForm .field {
        height: auto;
        width: 100%;
    }
    TextFieldsForm .field-label {
        width: 16;
        height: 1;
        padding: 0 1 0 0;
        text-align: right;
        color: $text-muted;
    }
    TextFieldsForm .field:focus-within .field-label {
        color: $text;
        text-style: bold;
    }
    TextFieldsForm .field.-invalid .field-label {
        color: $text-error;
    }
    TextFieldsForm .field-body {
        width: 1fr;
        height: auto;
    }
    TextFieldsForm Input {
        background: $boost;
    }
    TextFieldsForm Input:focus {
        background-tint: $foreground 8%;
    }
    TextFieldsForm .field.-invalid Input {
        background-tint: $error 25%;
    }
    TextFieldsForm .field-error {
        display: none;
        height: auto;
        width: 1fr;
    }
    TextFieldsForm .field-error.-error {
        display: block;
        color: $text-error;
    }
    TextFieldsForm .tf-buttons {
        height: auto;
        width: 100%;
        margin-top: 1;
        align-horizontal: right;
    }
    TextFieldsForm .tf-buttons Button {
        margin-left: 2;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True),
        Binding("escape", "cancel", N_("Cancel")),
    ]
    FIELD_ID = "tf-"
    ROW_ID = "tf-"

    def __init__(
        self,
        title: str,
        fields: Sequence[TextField],
        submit: Callable[[dict[str, str]], Any],
        *,
        note: str = "",
        hint: str = "",
        required: Sequence[str] = (),
    ) -> None:
        super().__init__()
        translate_bindings(self)
        self.title_text = title
        self.fields = list(fields)
        self.save_with = submit
        self.note = note
        self.hint = hint
        self.FIELDS = tuple(f.name for f in self.fields)  # type: ignore[misc]
        self.REQUIRED = tuple(required)  # type: ignore[misc]

    def compose(self) -> ComposeResult:
        with Vertical(classes="tf-box"):
            yield Static(Content(self.title_text), classes="tf-title")
            if self.note:
                yield Static(Content(self.note), classes="tf-note", id="tf-note")
            for field in self.fields:
                yield self.field_row(
                    field.name,
                    field.label,
                    Input(
                        field.value,
                        placeholder=field.placeholder,
                        max_length=field.max_length,
                        compact=True,
                        id=f"tf-{field.name}",
                    ),
                )
            yield Static("", id="tf-message")
            if self.hint:
                yield Static(Content(self.hint), classes="tf-hint")
            with Horizontal(classes="tf-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", compact=True, id="tf-save")
                yield Button(_("Cancel (Esc)"), compact=True, id="tf-cancel")

    def on_mount(self) -> None:
        self.query_one(f"#tf-{self.fields[0].name}", Input).focus()

    def form_values(self) -> dict[str, str]:
        return {f.name: self.query_one(f"#tf-{f.name}", Input).value for f in self.fields}

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self.clear_error((event.input.id or "").removeprefix(self.FIELD_ID))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == f"tf-{self.fields[-1].name}":
            self.action_save()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "tf-save":
            self.action_save()
        else:
            self.action_cancel()

    def say(self, message: str) -> None:
        self.query_one("#tf-message", Static).update(Content(message))

    def submit(self, values: dict[str, str]) -> Any:
        return self.save_with(values)

    def form_saving(self, saving: bool) -> None:
        if saving:
            self.clear_errors()
            self.say("")

    def form_saved(self, result: Any) -> None:
        self.dismiss(result)

    def form_failed(self, error: Exception) -> None:
        """A refusal that is not about a field: said under the fields, the form kept."""
        if isinstance(error, CallCenterError):
            self.say(str(error))
        else:
            super().form_failed(error)

    def action_cancel(self) -> None:
        if not self.saving:
            self.dismiss(None)
