"""The feedback call and the revisit (回访): what came of the call and, when the owner was
reached, the satisfaction survey (the kind's template) read out one question at a time.

The operator answers each question with one key — the digit the owner said — and the form
moves on by itself; a low rating (or a fault still open) asks for the reason first (Enter
goes on); Backspace or ↑ goes back to the previous question. After the last question come a
free comment and, when the service record still waits for the owner's acceptance, who
confirmed it. Ctrl+S passes the raw text to one service call (:meth:`CallDesk.record`), which
checks it with the survey template (:mod:`callcenter.survey`); a wrong answer brings the
operator back to its question. Esc gives the call back to everyone. The questions are the
template's own words in the interface language; caller text is shown as data.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from callcenter.calls import kinds
from callcenter.calls.model import CallKind, DeskItem, Outcome
from callcenter.i18n import N_, _
from callcenter.survey import Question, Scale, SurveyTemplate, site_template
from screens.calls.call_form import CallValues
from screens.calls.taken import TakenCallForm
from screens.kit.format import due_text
from screens.kit.host import Host, host
from screens.kit.i18n_bindings import translate_bindings
from screens.widgets.form import RadioField
from screens.widgets.tick_box import Choice

if TYPE_CHECKING:
    from callcenter.calls.model import CallTask

log = logging.getLogger(__name__)


BOX_WIDTH = 96  # survey.tcss: .sv-box width


def legend_text(scale: Scale, width: int) -> str:
    """Each answer of ``scale`` and its meaning (``5 Very satisfied   4 Satisfied …``), broken
    into lines of at most ``width`` cells between answers, never inside one."""
    lines: list[str] = []
    line = ""
    for value, label in scale.legend():
        item = f"{value} {label}"
        joined = f"{line}   {item}" if line else item
        if line and cell_len(joined) > width:
            lines.append(line)
            joined = item
        line = joined
    return "\n".join([*lines, line])


class AnswerPad(Static, can_focus=True):
    """Where the operator types the owner's answer: one key per answer. Posts
    :class:`Answered` for a printable key, :class:`Back` for Backspace or ↑ and
    :class:`Forward` for Enter or ↓; every other key goes on up (Tab, Esc, Ctrl+S)."""

    class Answered(Message):
        def __init__(self, character: str) -> None:
            super().__init__()
            self.character = character

    class Back(Message):
        pass

    class Forward(Message):
        pass

    def on_key(self, event: events.Key) -> None:
        if event.key in ("backspace", "up"):
            message: Message = self.Back()
        elif event.key in ("enter", "down"):
            message = self.Forward()
        elif event.is_printable and event.character:
            message = self.Answered(event.character)
        else:
            return
        event.stop()
        event.prevent_default()
        self.post_message(message)


class SurveyCallForm(TakenCallForm[CallValues, "CallTask"], ModalScreen["CallTask | None"]):
    """Record one attempt of a feedback call this operator has taken. Dismisses with the task
    as saved, or None (Esc gives the call back)."""

    CSS_PATH = "survey.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", N_("Save"), priority=True),
        Binding("escape", "back", N_("Give the call back")),
    ]
    FIELD_ID = "sv-"
    ROW_ID = "sv-"
    FIELDS = ("outcome", "note", "answer", "reason", "comment", "accept_by")
    OTHER_ERRORS = "note"

    def __init__(self, item: DeskItem, version: int, *, acceptance_missing: bool = False) -> None:
        super().__init__()
        translate_bindings(self)
        self.item = item
        self.version = version
        self.acceptance_missing = acceptance_missing
        self.kind: CallKind = kinds.get(item.kind)
        # The kind's own template: the feedback call's, or the revisit's (revisit.toml).
        self.template: SurveyTemplate = site_template(self.kind.survey or "default")
        self.questions: tuple[Question, ...] = self.template.questions
        #: The answers as typed (one digit each) and the reasons, by question key.
        self.answers: dict[str, str] = {}
        self.reasons: dict[str, str] = {}
        #: What the service said was wrong with a question (its answer or its reason).
        self.question_errors: dict[str, str] = {}
        self.reason_errors: dict[str, str] = {}
        #: The question being asked; ``len(questions)``: all asked, the comment's turn.
        self.index = 0

    @property
    def desk(self) -> Host:
        return host(self)

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        item, kind = self.item, self.kind
        with Vertical(id="sv-form", classes="sv-box"):
            yield Static(
                Content(_("{kind} — {about}").format(kind=kind.title, about=item.about)),
                classes="sv-title",
            )
            yield Static(Content(item.message), id="sv-message")
            yield Static(
                Content(
                    _("Due {due} · tries so far {n}").format(
                        due=due_text(item.due_at, self.desk.clock_now(), self.desk.tz),
                        n=item.attempts,
                    )
                ),
                id="sv-info",
            )
            with self.field_row("outcome", _("The call")), RadioField(id="sv-outcome"):
                for index, outcome in enumerate(kind.outcomes):
                    label = _("Refused") if outcome is Outcome.REFUSED else outcome.label
                    yield Choice(label, index == 0, id=f"sv-outcome-{outcome.value}")
            yield self.field_row(
                "note", _("Note"), Input(max_length=500, compact=True, id="sv-note")
            )
            with Vertical(id="sv-survey"):
                with Horizontal(id="sv-head"):
                    yield Static(id="sv-progress")
                    yield Static(id="sv-summary")
                yield Static(id="sv-question")
                yield Static(id="sv-legend")
                yield self.field_row("answer", _("Answer"), AnswerPad(id="sv-answer"))
                yield self.field_row(
                    "reason", _("Why"), Input(max_length=200, compact=True, id="sv-reason")
                )
                yield self.field_row(
                    "comment", _("Comment"), Input(max_length=500, compact=True, id="sv-comment")
                )
                if self.acceptance_missing:
                    yield self.field_row(
                        "accept_by",
                        _("Accepted by"),
                        Input(
                            max_length=40,
                            compact=True,
                            placeholder=_("The owner confirms the service record: name"),
                            id="sv-accept_by",
                        ),
                    )
            with Horizontal(classes="sv-buttons"):
                yield Button(_("Save (Ctrl+S)"), variant="primary", compact=True, id="sv-save")
                yield Button(_("Give back (Esc)"), compact=True, id="sv-back")

    def on_mount(self) -> None:
        self.show_question()
        self.query_one("#sv-outcome", RadioSet).focus()

    # -- the survey, one question at a time ---------------------------------------------------
    @property
    def question(self) -> Question | None:
        """The question being asked; None once every question was asked."""
        return self.questions[self.index] if self.index < len(self.questions) else None

    def _answer_value(self, question: Question) -> int | None:
        typed = self.answers.get(question.key, "")
        return int(typed) if typed.isdigit() else None

    def _needs_reason(self, question: Question) -> bool:
        value = self._answer_value(question)
        return value is not None and self.template.needs_reason(question, value)

    def show_question(self) -> None:
        """Draw the question being asked, its scale, its answer and its reason."""
        count = len(self.questions)
        question = self.question
        progress = self.query_one("#sv-progress", Static)
        text = self.query_one("#sv-question", Static)
        legend = self.query_one("#sv-legend", Static)
        pad = self.query_one("#sv-answer", AnswerPad)
        reason_row = self.query_one("#sv-row-reason")
        if question is None:
            progress.update(Content(_("All {n} questions asked").format(n=count)))
            text.update(Content(_("Anything else the owner said? (↑: back to the questions)")))
            legend.update("")
            pad.update(Content(_("✓ done")))
            reason_row.display = False
            self.clear_error("answer")
        else:
            progress.update(
                Content(_("Question {n}/{count}").format(n=self.index + 1, count=count))
            )
            text.update(Content(question.label))
            legend.update(Content(legend_text(question.scale, self._legend_width())))
            typed = self.answers.get(question.key, "")
            value = self._answer_value(question)
            shown = f"{typed} {question.scale.answer_label(value)}" if value is not None else "_"
            pad.update(
                Content.assemble(
                    (f" {shown} ", "bold reverse"),
                    "  ",
                    (_("one key per answer · ↑/Backspace: back"), "dim"),
                )
            )
            reason_row.display = self._needs_reason(question)
            if reason_row.display:
                fault = question.scale is Scale.YES_NO
                self.query_one("#sv-label-reason", Static).update(
                    Content(_("Fault") if fault else _("Why"))
                )
                reason = self.query_one("#sv-reason", Input)
                reason.placeholder = self.template.reason_prompt(question)
                with reason.prevent(Input.Changed):
                    reason.value = self.reasons.get(question.key, "")
            self.set_error("answer", self.question_errors.get(question.key))
            self.set_error("reason", self.reason_errors.get(question.key))
        self.show_summary()

    def _legend_width(self) -> int:
        """The legend's width: the box's (96 cells, or the screen's) less border and padding."""
        return min(BOX_WIDTH, self.app.size.width) - 4

    def on_resize(self) -> None:
        if self.is_mounted:
            self.show_question()

    def show_summary(self) -> None:
        """A compact row of every answer: ``1:5 2:4 3:_ …``; the current one reversed, the
        wrong ones marked."""
        parts: list[str | tuple[str, str]] = []
        for i, question in enumerate(self.questions):
            if parts:
                parts.append(" ")
            cell = f"{question.number}:{self.answers.get(question.key) or '_'}"
            wrong = question.key in self.question_errors or question.key in self.reason_errors
            style = "reverse" if i == self.index else ""
            if wrong:
                style = f"{style} bold red".strip()
            parts.append((cell, style))
        self.query_one("#sv-summary", Static).update(Content.assemble(*parts))

    def go_to(self, index: int) -> None:
        self.index = max(0, min(index, len(self.questions)))
        self.show_question()
        self.form_changed()
        if self.question is None:
            self.query_one("#sv-comment", Input).focus()
        else:
            self.query_one("#sv-answer", AnswerPad).focus()

    def answer(self, character: str) -> None:
        """The operator typed ``character`` for the question being asked."""
        question = self.question
        if question is None:
            return
        typed = unicodedata.normalize("NFKC", character)
        if not (typed.isascii() and typed.isdigit() and int(typed) in question.scale.values):
            self.app.bell()
            if question.scale is Scale.RATING:
                hint = _("Press 1 (very dissatisfied) to 5 (very satisfied), or 0.")
            else:
                hint = _("Press 1 (yes), 2 (no) or 0 (not applicable).")
            self.set_error("answer", hint)
            return
        self.answers[question.key] = typed
        self.question_errors.pop(question.key, None)
        self.clear_error("answer")
        if self._needs_reason(question):
            self.show_question()
            self.form_changed()
            self.query_one("#sv-reason", Input).focus()
        else:
            self.reason_errors.pop(question.key, None)
            self.go_to(self.index + 1)

    def reason_done(self) -> None:
        """Enter in the reason: go on once it says something."""
        question = self.question
        if question is None:
            return
        if not self.reasons.get(question.key, "").strip():
            self.set_error("reason", _("Say why before going on."))
            return
        self.go_to(self.index + 1)

    @on(AnswerPad.Answered)
    def _answered(self, message: AnswerPad.Answered) -> None:
        message.stop()
        question = self.question
        if question is not None and self._needs_reason(question):
            # Typed before the reason field had the focus: it is the reason's beginning.
            reason = self.query_one("#sv-reason", Input)
            reason.insert_text_at_cursor(message.character)
            reason.focus()
            return
        self.answer(message.character)

    @on(AnswerPad.Back)
    def _back(self, message: AnswerPad.Back) -> None:
        message.stop()
        if self.index > 0:
            self.go_to(self.index - 1)

    @on(AnswerPad.Forward)
    def _forward(self, message: AnswerPad.Forward) -> None:
        message.stop()
        question = self.question
        if question is None or question.key not in self.answers:
            return
        if self._needs_reason(question):
            self.query_one("#sv-reason", Input).focus()
        else:
            self.go_to(self.index + 1)

    def on_key(self, event: events.Key) -> None:
        """↑ in the reason goes back to its question's answer; in the comment, back to the
        last question."""
        if event.key != "up":
            return
        focused = self.focused
        if focused is self.query_one("#sv-reason", Input):
            event.stop()
            self.query_one("#sv-answer", AnswerPad).focus()
        elif focused is self.query_one("#sv-comment", Input) and self.question is None:
            event.stop()
            self.go_to(len(self.questions) - 1)

    def watch_focused(self, focused: Widget | None) -> None:
        super().watch_focused(focused)
        # A row the focus left can keep its ``:focus-within`` look (seen on the outcome's radio
        # set): restyle the rows, a handful of widgets.
        for row in self.query(".field"):
            self.app.update_styles(row)

    # -- values ------------------------------------------------------------------------------
    def outcome(self) -> Outcome | None:
        for outcome in self.kind.outcomes:
            if self.query_one(f"#sv-outcome-{outcome.value}", RadioButton).value:
                return outcome
        return None

    def form_values(self) -> CallValues:
        outcome = self.outcome()
        note = self.query_one("#sv-note", Input).value
        fields: dict[str, str] = {}
        if outcome is Outcome.REACHED:
            fields.update(self.answers)
            fields.update({f"reason_{k}": v for k, v in self.reasons.items() if v})
            fields["comment"] = self.query_one("#sv-comment", Input).value
            if self.acceptance_missing:
                fields["accept_by"] = self.query_one("#sv-accept_by", Input).value
        return CallValues(outcome, note, fields)

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix(self.FIELD_ID)
        if name == "reason":
            question = self.question
            if question is not None:
                self.reasons[question.key] = event.value
                self.reason_errors.pop(question.key, None)
                self.show_summary()
        self.clear_error(name)
        self.form_changed()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "sv-reason":
            self.reason_done()
        elif event.input.id == "sv-note" and self.outcome() is Outcome.REACHED:
            self.go_to(self.index)
        else:
            self.focus_next()

    @on(RadioSet.Changed)
    def _outcome_changed(self) -> None:
        self.clear_error("outcome")
        reached = self.outcome() is Outcome.REACHED
        self.query_one("#sv-survey").display = reached

    # -- saving ------------------------------------------------------------------------------
    def submit(self, values: CallValues) -> CallTask:
        desk = self.desk.call_desk
        assert desk is not None
        result = desk.record(
            self.item.kind,
            self.item.ref,
            outcome=values.outcome,  # type: ignore[arg-type]  # None: the service says
            note=values.note,
            fields=values.fields,
            version=self.version,
        )
        return result  # type: ignore[return-value]  # not the delay kind: a CallTask

    def form_saving(self, saving: bool) -> None:
        super().form_saving(saving)
        if saving:
            self.question_errors.clear()
            self.reason_errors.clear()
            self.show_summary()

    def form_rejected(self, errors: dict[str, str]) -> None:
        """The survey's errors go to their questions (the first wrong one is asked again);
        the others beside their fields."""
        keys = {q.key for q in self.questions}
        self.question_errors = {k: m for k, m in errors.items() if k in keys}
        self.reason_errors = {
            k.removeprefix("reason_"): m
            for k, m in errors.items()
            if k.startswith("reason_") and k.removeprefix("reason_") in keys
        }
        others = {
            k: m
            for k, m in errors.items()
            if k not in keys and not (k.startswith("reason_") and k.removeprefix("reason_") in keys)
        }
        wrong = self.show_errors(others)
        first = next(
            (
                i
                for i, q in enumerate(self.questions)
                if q.key in self.question_errors or q.key in self.reason_errors
            ),
            None,
        )
        if first is None:
            self.show_question()
            return
        self.index = first
        self.show_question()
        if not wrong or self.FIELDS.index(wrong[0]) >= self.FIELDS.index("answer"):
            key = self.questions[first].key
            if key in self.reason_errors and key not in self.question_errors:
                self.query_one("#sv-reason", Input).focus()
            else:
                self.query_one("#sv-answer", AnswerPad).focus()

    # -- giving the call back ----------------------------------------------------------------
    def give_back(self) -> None:
        desk = self.desk.call_desk
        assert desk is not None
        desk.release(self.item.kind, self.item.ref)
