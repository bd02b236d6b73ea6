"""The maintenance call (强制保养, seed 004): the customer archive's vehicles whose next
maintenance — by running hours or months, whichever first — falls within the cycle's
``remind_days``. The tasks are made by the sweep (``Services.schedule_maintenance_calls``),
once per vehicle and due point whoever sweeps (``call_tasks.dedupe_key``). No answer or a
busy line is tried again the next day, twice."""

from __future__ import annotations

from datetime import timedelta

from callcenter.calls.model import CallKind, Outcome, Subject
from callcenter.i18n import N_

NAME = "maintenance"


def dedupe_key(vehicle_id: int, hours: int) -> str:
    """One task per vehicle and due point."""
    return f"{NAME}:{vehicle_id}:{hours}"


KIND = CallKind(
    name=NAME,
    label=N_("Maintenance due"),
    subject=Subject.CUSTOMER,
    outcomes=(
        Outcome.REACHED,
        Outcome.NOT_REACHED,
        Outcome.BUSY,
        Outcome.WRONG_NUMBER,
        Outcome.REFUSED,
    ),
    done_on=frozenset({Outcome.REACHED}),
    give_up_on=frozenset({Outcome.WRONG_NUMBER, Outcome.REFUSED}),
    retry_after=(timedelta(days=1), timedelta(days=1)),
    max_attempts=3,
)
