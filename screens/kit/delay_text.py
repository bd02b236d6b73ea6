"""The words of the delay calls: the timeline events (for the case detail), who handles a
call, how late a crew is, what became of a call. Text only: no screen, no app."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from callcenter.domain import AlertKind, CaseEvent, DelayReason
from callcenter.i18n import N_, _
from screens.kit.format import local_time, safe_text

if TYPE_CHECKING:
    from callcenter.calls.model import DeskItem
    from callcenter.services import Services
    from callcenter.services.delays import DelayCallResult, DelayPrompt

# The timeline events of the delay call (callcenter.services.delays, callcenter.watch), for the case
# detail screen.
DELAY_EVENT_LABELS: dict[str, str] = {
    "alert_raised": N_("SLA alert"),
    "delay_call": N_("Delay call to the owner"),
    "deadline_extended": N_("Promised arrival extended"),
}

_OUTCOMES: dict[str, str] = {
    "missed": N_("over before it was seen"),
    "owner_told": N_("owner told"),
    "covered": N_("covered by another call"),
    "already_told": N_("owner already told"),
    "clock_stopped": N_("no longer needed"),
    "superseded": N_("promise extended meanwhile"),
}


def display_name(services: Services, username: str) -> str:
    """The display name of ``username`` (in a thread: may read the staff table once)."""
    return safe_text(services.display_name(username))


def late_text(prompt: DelayPrompt) -> str:
    if prompt.late_minutes:
        return _("about {n} min").format(n=prompt.late_minutes)
    return _("late") if prompt.kind is AlertKind.ARRIVAL_LATE else _("at risk")


def taken_text(
    prompt: DelayPrompt | DeskItem, names: dict[str, str], actor: str, tz: tzinfo
) -> str:
    """Who has taken the call and since when: "王芳 22:31", "you 22:31", or a dash."""
    if prompt.claimed_by is None:
        return "—"
    who = (
        _("you") if prompt.claimed_by == actor else names.get(prompt.claimed_by, prompt.claimed_by)
    )
    return f"{who} {local_time(prompt.claimed_at, tz)}"  # type: ignore[arg-type]


def handling_text(who: str | None, since: datetime | None, tz: tzinfo) -> str:
    """The line saying who has the call: ``who`` None is this operator."""
    when = local_time(since, tz)  # type: ignore[arg-type]
    if who is None:
        return _("You are handling this call (since {when}).").format(when=when)
    return _("{who} is handling this call (since {when}).").format(who=who, when=when)


def delay_event_details(event: CaseEvent, local: Callable[[Any], str]) -> str:
    """The details of a delay-call timeline event, in words (``local`` shows an instant)."""
    details = event.details
    parts: list[str] = []
    if event.kind == "alert_raised":
        kind = details.get("kind", "")
        try:
            parts.append(AlertKind(kind).label)
        except ValueError:
            parts.append(str(kind))
        if details.get("deadline"):
            parts.append(_("deadline {time}").format(time=local(details["deadline"])))
        outcome = details.get("outcome")
        if outcome:
            parts.append(_(_OUTCOMES.get(outcome, outcome)))
    elif event.kind == "delay_call":
        parts.append(_("owner reached") if details.get("reached") else _("owner not reached"))
        reason = details.get("reason", "")
        try:
            parts.append(_("reason: {reason}").format(reason=DelayReason(reason).label))
        except ValueError:
            parts.append(_("reason: {reason}").format(reason=reason))
        if details.get("reason_text"):
            parts.append(str(details["reason_text"]))
        if details.get("new_eta"):
            parts.append(_("new expected arrival {time}").format(time=local(details["new_eta"])))
        if details.get("late_minutes"):
            parts.append(_("about {n} min late").format(n=details["late_minutes"]))
    elif event.kind == "deadline_extended":
        parts.append(
            _("from {previous} to {promised}").format(
                previous=local(details.get("previous")), promised=local(details.get("promised"))
            )
        )
        if details.get("original"):
            parts.append(_("original promise {time} kept").format(time=local(details["original"])))
        reason = details.get("reason", "")
        with suppress(ValueError):
            parts.append(_("reason: {reason}").format(reason=DelayReason(reason).label))
    return _("; ").join(parts)


def outcome_text(result: DelayCallResult, tz: tzinfo) -> str:
    """What became of the call, for the operator who made it."""
    case = result.case
    if result.extended:
        return _(
            "Promised arrival extended to {new}; the original promise {original} is kept."
        ).format(
            new=local_time(case.promised_arrival_at, tz),  # type: ignore[arg-type]
            original=local_time(case.original_promised_at, tz),  # type: ignore[arg-type]
        )
    if result.alert.outcome == "owner_told":
        return _("Owner told. The promise {promised} stands: case {number} stays late.").format(
            promised=local_time(case.promised_arrival_at, tz),  # type: ignore[arg-type]
            number=case.number,
        )
    return _("Owner not reached: you will be prompted again at {time}.").format(
        time=local_time(result.alert.snooze_until, tz)  # type: ignore[arg-type]
    )
