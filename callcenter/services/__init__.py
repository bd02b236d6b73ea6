"""Use-cases, one module per family, all writing through the one write path of :mod:`.base`.

* :mod:`.base` — :class:`ServiceBase`: permission, version check, event, audit row, change feed;
* :mod:`.intake` — taking a call (来电登记) and the fee agreement;
* :mod:`.lifecycle` — dispatch, reassignment, the case's steps, cancelling;
* :mod:`.crews` — a crew's duty and position, a supervisor's extension of a promise;
* :mod:`.records` — after the work: service record, report-back, feedback outcome, closing;
* :mod:`.queries` — what the screens read;
* :mod:`.staff` — who the session is, and the staff directory;
* :mod:`.delays` — the delay call (loaded after the board's first frame);
* :mod:`.calls` — the generic outbound call desk the delay call is the first kind of;
* :mod:`.archive` — the customer archive (客户档案);
* :mod:`.audit` — the audit log viewer (supervisors and administrators).
* :mod:`.complaints` — complaints, repeated repairs, escalations to the supervisors;
* :mod:`.reports` — the monthly report and the cases behind each figure;
* :mod:`.handover` — the shift-handover digest (交接班) and who read it;
* :mod:`.dashboard` — the KPI dashboard (F10) and the cases behind its figures.

Services take plain values (raw text from the screens), return plain domain objects, and raise
the errors of :mod:`callcenter.errors` with translated messages. The clock is injected.
"""

from __future__ import annotations

from callcenter.services.archive import ArchiveUseCases
from callcenter.services.audit import AuditUseCases
from callcenter.services.base import ServiceBase
from callcenter.services.complaints import ComplaintUseCases
from callcenter.services.crews import CrewUseCases
from callcenter.services.dashboard import DashboardUseCases
from callcenter.services.handover import HandoverUseCases
from callcenter.services.intake import CheckedIntake, Intake, IntakeUseCases, Returning
from callcenter.services.lifecycle import Checklist, LifecycleUseCases, is_night
from callcenter.services.queries import QueryUseCases
from callcenter.services.records import RecordUseCases
from callcenter.services.reports import ReportUseCases
from callcenter.services.staff import StaffUseCases

__all__ = [
    "CheckedIntake",
    "Checklist",
    "Intake",
    "Returning",
    "ServiceBase",
    "Services",
    "is_night",
]


class Services(
    IntakeUseCases,
    LifecycleUseCases,
    CrewUseCases,
    ComplaintUseCases,
    RecordUseCases,
    QueryUseCases,
    StaffUseCases,
    ArchiveUseCases,
    AuditUseCases,
    ReportUseCases,
    HandoverUseCases,
    DashboardUseCases,
):
    """The use-cases of one session, bound to its database, clock and settings.

    Every write of an existing case or crew takes the ``version`` the user saw, and is refused
    with a :class:`~callcenter.errors.ConcurrencyConflict` naming who changed it meanwhile.
    """
