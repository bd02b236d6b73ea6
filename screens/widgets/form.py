"""The form kit: field rows, errors by field, a kept draft and one save worker.

A form is a screen with :class:`Form` mixed in front of its screen class::

    class DelayCallForm(Form[DelayCallValues, DelayCallResult], ModalScreen[...]):
        FIELDS = ("reached", "reason", "reason_text", "new_eta")
        FIELD_ID = "dc-"  # the field widget of ``name`` is ``#dc-<name>``
        ROW_ID = "dc-"  # its row ``#dc-row-<name>``, its error line ``#dc-err-<name>``

        def compose(self):
            yield self.field_row("reason_text", _("Reason details"), Input(id="dc-reason_text"))
            with self.field_row("reached", _("The call")), RadioSet(id="dc-reached"): ...

        def form_values(self) -> DelayCallValues: ...  # the raw text and choices on the form
        def submit(self, values) -> DelayCallResult: ...  # ONE service call, in a thread
        def form_saved(self, result) -> None: ...  # back on the screen: dismiss, notify

Ctrl+S (``action_save``) reads the form only once every key typed before it has been handled,
then runs :meth:`Form.submit` in one thread worker; the result comes back as
:class:`Form.Saved`, a :class:`~callcenter.errors.ValidationError` (or several) as
:class:`Form.Rejected` shown beside each field, anything else as :class:`Form.Failed`.

Type-ahead. The terminal delivers a burst of keys (a quick operator, a slow SSH link) in one
read, and Textual routes each key on arrival to the widget focused *then*; the widget handles
it later, from its own queue. Two things went wrong with that, and the kit closes both:

* A key bound on a field (Space on a tick box, Enter or arrows on a radio set) was not acted on
  by the field that received it: the key bubbled up widget by widget to the application, which
  looked the binding up in the chain of whatever was focused by then. A Tab right behind it
  (a priority key: the focus moves at once) sent the Space to the next field — lost.
  :class:`OwnKeys` fields act on their own bindings as soon as the key reaches them.
* Ctrl+S (a priority key) ran before the keys ahead of it had been handled and read the old
  values — the tick typed just before it was not saved. :meth:`Form.type_ahead_done` waits until
  every widget that had the focus (so may hold keys), what is inside it and above it, and the
  application, have handled what was queued before the save — level by level from the deepest,
  the way a key bubbles — and again until a pass changes nothing (a ``Changed`` message, a
  radio set unpressing its other button).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.message import Message
from textual.message_pump import MessagePump
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Label, RadioSet, Select

from callcenter.errors import CallCenterError, ValidationError, ValidationErrors
from callcenter.i18n import _

if TYPE_CHECKING:
    from callcenter.drafts import DraftStore

log = logging.getLogger(__name__)

V = TypeVar("V")  # what the form holds: raw text and choices
R = TypeVar("R")  # what the service returns


class OwnKeys:
    """Mixed in front of a field widget: the field acts on its own key bindings (Space on a
    tick box, arrows on a radio set) the moment the key reaches it, instead of letting the key
    bubble up to the application, which would look the binding up in the chain of whatever
    has the focus by then (a Tab typed right behind the Space moves it on)."""

    def owns_keys(self) -> bool:
        """Whether the keys reaching the widget now are its own (not an open list's)."""
        return True

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls the ``_on_key`` of every class of the widget, this one first: a key
        # acted on here is kept from the others with ``prevent_default``.
        assert isinstance(self, Widget)
        if not self.owns_keys():
            return
        for binding in Binding.make_bindings(self.BINDINGS):
            if binding.key == event.key and not binding.priority:
                event.stop()
                event.prevent_default()  # the widget's own key handler must not act again
                await self.run_action(binding.action)
                return


class FieldRow(Horizontal):
    """One field of a form: its label, then the field (widgets given or composed inside a
    ``with``) with its error line below it. Ids: ``#<row>row-<name>``, ``#<row>label-<name>``,
    ``#<row>err-<name>``; classes ``field``, ``field-label``, ``field-body``, ``field-error``."""

    def __init__(
        self, name: str, label: str, *widgets: Widget, required: bool = False, prefix: str = ""
    ) -> None:
        super().__init__(classes="field", id=f"{prefix}row-{name}")
        self.label = Label(
            Content(f"{label} *" if required else label),
            classes="field-label",
            id=f"{prefix}label-{name}",
        )
        self.error = Label("", id=f"{prefix}err-{name}", classes="field-error")
        self.body = Vertical(*widgets, classes="field-body")

    def compose_add_child(self, widget: Widget) -> None:
        self.body.compose_add_child(widget)  # ``with row:`` puts the field in the body

    def compose(self) -> ComposeResult:
        self.body.compose_add_child(self.error)
        yield self.label
        yield self.body


class Form(Generic[V, R]):
    """Mixed in front of a ``Screen`` or ``ModalScreen``: see the module's docstring.

    Override :meth:`form_values`, :meth:`submit` and :meth:`form_saved`; for a kept draft also
    :attr:`draft_store` and :meth:`draft_data`; :meth:`form_failed` to say more than the error.
    """

    FIELDS: ClassVar[tuple[str, ...]] = ()  # in the order of Tab: the first wrong is focused
    REQUIRED: ClassVar[tuple[str, ...]] = ()  # their labels say so: ``Phone *``
    FIELD_ID: ClassVar[str] = "in-"
    ROW_ID: ClassVar[str] = ""
    #: The form's name for a field the service names otherwise (``agreed_arrival_at``).
    ERROR_FIELDS: ClassVar[Mapping[str, str]] = {}
    #: Where an error on a field the form does not show goes (None: a notification).
    OTHER_ERRORS: ClassVar[str | None] = None
    DRAFT_DELAY = 0.3  # seconds of quiet before the draft is written

    class Saved(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class Rejected(Message):
        def __init__(self, errors: dict[str, str]) -> None:
            super().__init__()
            self.errors = errors

    class Failed(Message):
        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    # The kit's state lives in one dict created on first use, so that the screen's
    # ``__init__`` needs no call to the kit.
    @property
    def _kit(self) -> dict[str, Any]:
        state = self.__dict__.get("_form_kit")
        if state is None:
            state = self.__dict__["_form_kit"] = {
                "errors": {},
                "saving": False,
                "finished": False,
                "draft_timer": None,
                "draft_error_shown": False,
                "last": None,
            }
        return state

    @property
    def _screen(self) -> Any:
        return self

    # -- what a form says ------------------------------------------------------------
    def form_values(self) -> V:
        """What is on the form now: raw text and choices, read from the widgets."""
        raise NotImplementedError

    def submit(self, values: V) -> R:
        """Save ``values`` with one service call (runs in a thread). Raise a ValidationError
        naming the field for a wrong one."""
        raise NotImplementedError

    def form_saved(self, result: R) -> None:
        """Back on the screen after :meth:`submit` returned."""

    def form_failed(self, error: Exception) -> None:
        """Back on the screen after :meth:`submit` failed (not a validation error)."""
        self._screen.notify(
            str(error) or type(error).__name__, severity="error", timeout=10, markup=False
        )

    def form_saving(self, saving: bool) -> None:
        """A save starts (True) or is over (False): show it if the form wants to."""

    # -- rows and errors -------------------------------------------------------------
    def field_row(self, name: str, label: str, *widgets: Widget) -> FieldRow:
        """The row of field ``name``: ``widgets``, or those composed inside ``with``."""
        return FieldRow(name, label, *widgets, required=name in self.REQUIRED, prefix=self.ROW_ID)

    def field(self, name: str) -> Widget:
        return self._screen.query_one(f"#{self.FIELD_ID}{name}")

    @property
    def errors(self) -> dict[str, str]:
        """The fields shown wrong now, with their messages."""
        return self._kit["errors"]

    def set_error(self, name: str, message: str | None) -> None:
        """Show ``message`` beside field ``name`` (None clears it); what was typed stays."""
        if message is None:
            self.clear_error(name)
            return
        screen = self._screen
        try:
            error = screen.query_one(f"#{self.ROW_ID}err-{name}", Label)
        except NoMatches:
            return
        self.errors[name] = message
        error.update(Content(message))
        error.add_class("-error")
        screen.query_one(f"#{self.ROW_ID}row-{name}").add_class("-invalid")
        self.field(name).add_class("-invalid")

    def clear_error(self, name: str) -> None:
        self.errors.pop(name, None)
        screen = self._screen
        try:
            error = screen.query_one(f"#{self.ROW_ID}err-{name}", Label)
        except NoMatches:
            return
        error.update("")
        error.remove_class("-error")
        screen.query_one(f"#{self.ROW_ID}row-{name}").remove_class("-invalid")
        self.field(name).remove_class("-invalid")

    def clear_errors(self) -> None:
        for name in [*self.errors, *self.FIELDS]:
            self.clear_error(name)

    def show_errors(self, errors: Mapping[str, str]) -> list[str]:
        """Put each message beside its field (the others in a notification), focus the first
        wrong field; returns the wrong fields in form order."""
        self.clear_errors()
        screen = self._screen
        for field, message in errors.items():
            name = self.ERROR_FIELDS.get(field, field)
            if name not in self.FIELDS:
                name = self.OTHER_ERRORS or ""
            if name:
                self.set_error(name, message)
            else:
                screen.notify(message, severity="error", markup=False)
        wrong = [name for name in self.FIELDS if name in self.errors]
        if wrong:
            self.field(wrong[0]).focus()
        return wrong

    # -- the draft -------------------------------------------------------------------
    @property
    def draft_store(self) -> DraftStore | None:
        """Where this form keeps its draft; None: it keeps none."""
        return None

    def draft_data(self, values: V) -> dict[str, Any] | None:
        """The draft of ``values`` (JSON-serialisable); None: nothing worth keeping."""
        return None

    @property
    def finished(self) -> bool:
        """Saved or discarded: the draft must not come back."""
        return bool(self._kit["finished"])

    def finish(self, *, forget: bool = True) -> None:
        """The form is done with: stop keeping a draft, and forget the one kept (unless
        ``forget`` is False: the operator left it for later)."""
        self._kit["finished"] = True
        timer: Timer | None = self._kit["draft_timer"]
        if timer is not None:
            timer.stop()
        if forget:
            self.forget_draft()

    def forget_draft(self) -> None:
        store = self.draft_store
        if store is not None:
            try:
                store.clear()
            except OSError as exc:
                log.error("cannot clear the draft: %s", exc)

    def remember(self) -> None:
        """Note what is on the form, for a draft written after the widgets are gone."""
        try:
            self._kit["last"] = self.form_values()
        except NoMatches:
            return

    def form_changed(self) -> None:
        """Something was typed: remember it at once, write the draft after a pause."""
        self.remember()
        if self.draft_store is None:
            return
        timer: Timer | None = self._kit["draft_timer"]
        if timer is not None:
            timer.stop()
        self._kit["draft_timer"] = self._screen.set_timer(self.DRAFT_DELAY, self.save_draft)

    def save_draft(self) -> None:
        """Write what is typed to the draft store now (also on leaving, suspending, SIGHUP)."""
        store = self.draft_store
        if self.finished or store is None:
            return
        values: V | None
        try:
            values = self._kit["last"] = self.form_values()
        except NoMatches:  # torn down (the application is ending): the last thing read
            values = self._kit["last"]
        if values is None:
            return
        data = self.draft_data(values)
        try:
            if data is None:
                store.clear()
            else:
                store.save(data)
        except OSError as exc:
            log.error("cannot save the draft: %s", exc)
            if not self._kit["draft_error_shown"]:
                self._kit["draft_error_shown"] = True
                self._screen.notify(
                    _("The draft could not be saved: {error}").format(error=exc),
                    severity="error",
                )

    # -- saving ----------------------------------------------------------------------
    @property
    def saving(self) -> bool:
        return bool(self._kit["saving"])

    def action_save(self) -> None:
        """Ctrl+S: save what is on the form once every key typed before it is in."""
        if self.saving:
            return
        self._kit["saving"] = True
        self.form_saving(True)
        self._screen.run_worker(self._save_after_type_ahead(), group="form-type-ahead")

    async def _save_after_type_ahead(self) -> None:
        try:
            await self.type_ahead_done()
            self.save_draft()
            values = self.form_values()
        except NoMatches:  # the screen went meanwhile
            self._done_saving()
            return
        except Exception as exc:  # a bug: say so rather than leave the form stuck
            log.exception("reading %s failed", type(self).__name__)
            self._done_saving()
            self.form_failed(exc)
            return
        self._form_save(values)

    def watch_focused(self, focused: Widget | None) -> None:
        """Note every widget that has had the focus: keys may wait in its queue. (A public
        watcher: called at once when the focus moves, even by a priority Tab.)"""
        if focused is not None:
            self._kit.setdefault("touched", set()).add(focused)

    async def type_ahead_done(self) -> None:
        """Return once every message queued before now — keys and what they set off — has
        been handled by the widgets that may hold some (those that had the focus, what is in
        them and above them) and by the application."""
        screen = self._screen
        touched: set[Widget] = self._kit.setdefault("touched", set())
        touched.intersection_update(w for w in touched if w.is_attached)
        if screen.focused is not None:
            touched.add(screen.focused)
        pumps: set[Widget] = {screen}
        for widget in touched:
            pumps.update(widget.walk_children(Widget, with_self=True))
            pumps.update(a for a in widget.ancestors if isinstance(a, Widget))
        # Deepest first, as a key bubbles up: each level is drained after the one below it has
        # passed on what it had, so one pass carries a key all the way to the application.
        levels: dict[int, list[MessagePump]] = {}
        for pump in pumps:
            levels.setdefault(len(pump.ancestors), []).append(pump)
        passes = [levels[depth] for depth in sorted(levels, reverse=True)]
        passes.append([screen.app])
        last: object = None
        for passed in range(10):
            for level in passes:
                await _drain(level)
            values = self.form_values()
            if passed and values == last:
                return  # a pass changed nothing: what set off more messages is over
            last = values
        log.warning("%s still changing after 10 passes: saved as it is", type(self).__name__)

    @work(thread=True, exclusive=True, group="form-save", exit_on_error=False)
    def _form_save(self, values: V) -> None:
        """The one save worker: :meth:`submit` in a thread; the outcome comes back by message."""
        screen = self._screen
        try:
            result = self.submit(values)
        except ValidationErrors as exc:
            screen.post_message(Form.Rejected(exc.by_field))
        except ValidationError as exc:
            screen.post_message(Form.Rejected({exc.field: exc.message}))
        except CallCenterError as exc:
            screen.post_message(Form.Failed(exc))
        except Exception as exc:  # the form and its draft must survive any failure
            log.exception("saving %s failed", type(screen).__name__)
            screen.post_message(Form.Failed(exc))
        else:
            screen.post_message(Form.Saved(result))

    def _done_saving(self) -> None:
        self._kit["saving"] = False
        self.form_saving(False)

    def on_form_saved(self, message: Form.Saved) -> None:
        message.stop()
        self._done_saving()
        self.form_saved(message.result)

    def on_form_rejected(self, message: Form.Rejected) -> None:
        message.stop()
        self._done_saving()
        self.form_rejected(message.errors)

    def form_rejected(self, errors: dict[str, str]) -> None:
        """Back on the screen after the service refused fields: shows them by field."""
        self.show_errors(errors)

    def on_form_failed(self, message: Form.Failed) -> None:
        message.stop()
        self._done_saving()
        self.form_failed(message.error)


async def _drain(pumps: list[MessagePump]) -> None:
    """Wait until each of ``pumps`` has handled every message queued to it before now."""
    loop = asyncio.get_running_loop()
    waits: list[asyncio.Future[None]] = []
    for pump in pumps:
        done: asyncio.Future[None] = loop.create_future()
        if pump.call_later(_resolve, done):
            waits.append(done)
    if waits:
        # A pump that closes meanwhile never answers: do not wait for it forever.
        await asyncio.wait(waits, timeout=1.0)


def _resolve(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


class RadioField(OwnKeys, RadioSet):
    """A radio set whose arrows, Space and Enter act where they land (see :class:`OwnKeys`)."""


class SelectField(OwnKeys, Select[Any]):
    """A select whose Enter, Space and arrows open its list where they land. Once the list is
    open, the keys are the list's own (they bubble up through the select)."""

    def owns_keys(self) -> bool:
        return not self.expanded
