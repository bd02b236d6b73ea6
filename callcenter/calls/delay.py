"""The delay call (MISSION "The call", step 5): the first kind of the call desk.

Its tasks are the SLA sweep's arrival alerts (at risk, late) about a case's current promise,
so it is ``external``: :class:`callcenter.services.delays.DelayCalls` lists, claims and
records them. An owner not reached is prompted again after the session's ``renotify_minutes``
(5 by default), for as long as the crew is late.
"""

from __future__ import annotations

from datetime import timedelta

from callcenter.calls.model import CallKind, Outcome, Subject
from callcenter.i18n import N_

NAME = "delay"

KIND = CallKind(
    name=NAME,
    label=N_("Delay call"),
    subject=Subject.CASE,
    outcomes=(Outcome.REACHED, Outcome.NOT_REACHED),
    done_on=frozenset({Outcome.REACHED}),
    give_up_on=frozenset(),
    retry_after=(timedelta(minutes=5),),  # the setting renotify_minutes decides
    max_attempts=1_000_000,  # prompted again while the crew is late
    external=True,
)
