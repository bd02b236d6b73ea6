"""One modal for every "pick one of these" question: yes/no, keep/discard/back, restore/…

    choices = [
        Choice(True, _("Close (Y)"), ("y",), "primary"),
        Choice(False, _("No (N)"), ("n", "escape")),
    ]
    if await app.push_screen_wait(ChoiceModal(question, choices)): ...

The modal dismisses with the value of the choice picked — by its key, or by Enter or a click
on its button. The first choice has the focus. Titles, lines and labels are plain text, never
markup (a plate in a question shows verbatim).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static
from textual.widgets.button import ButtonVariant

T = TypeVar("T")


@dataclass(frozen=True)
class Choice(Generic[T]):
    """One answer: the value the modal returns, its button's text (with its key, e.g.
    ``Keep draft (K)``), the keys that pick it, the button's variant and id."""

    value: T
    label: str
    keys: tuple[str, ...] = ()
    variant: ButtonVariant = "default"
    id: str | None = None


class ChoiceModal(ModalScreen[T]):
    """A title, a few lines of text, and one button per :class:`Choice`."""

    DEFAULT_CSS = """
    ChoiceModal {
        align: center middle;
    }
    ChoiceModal > .choice-box {
        width: 64;
        max-width: 95%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    ChoiceModal .choice-title {
        text-style: bold;
        margin-bottom: 1;
    }
    ChoiceModal .choice-text {
        height: auto;
    }
    ChoiceModal .choice-text.-accent {
        color: $text-accent;
    }
    ChoiceModal .choice-buttons {
        height: auto;
        margin-top: 1;
    }
    ChoiceModal .choice-buttons Button {
        margin-right: 2;
    }
    """

    def __init__(
        self,
        title: str,
        choices: Sequence[Choice[T]],
        *,
        lines: Sequence[str | tuple[str, str]] = (),
    ) -> None:
        """``lines``: plain text, or (text, extra classes) — ``-accent`` stands out."""
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.lines = list(lines)

    def compose(self) -> ComposeResult:
        with Vertical(classes="choice-box"):
            yield Static(Content(self.title_text), classes="choice-title")
            for line in self.lines:
                text, extra = (line, "") if isinstance(line, str) else line
                yield Static(Content(text), classes=f"choice-text {extra}".strip())
            with Horizontal(classes="choice-buttons"):
                for index, choice in enumerate(self.choices):
                    yield Button(
                        Content(choice.label),
                        id=choice.id or f"choice-{index}",
                        variant=choice.variant,
                        compact=True,
                    )

    def on_mount(self) -> None:
        if self.choices:
            self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        buttons = list(self.query(Button))
        self.dismiss(self.choices[buttons.index(event.button)].value)

    def on_key(self, event: events.Key) -> None:
        for choice in self.choices:
            if event.key in choice.keys:
                event.stop()
                event.prevent_default()
                self.dismiss(choice.value)
                return
