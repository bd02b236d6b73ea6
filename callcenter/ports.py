"""What the use-cases need from the outside world. ``storage`` implements these."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, Self

from callcenter.calls.model import CallAttempt, CallTask
from callcenter.complaints.model import Complaint, ComplaintAlert, CrewComplaints, Escalation
from callcenter.domain import (
    Alert,
    AlertKind,
    Assignment,
    Case,
    CaseEvent,
    Change,
    Crew,
    Customer,
    Staff,
    Vehicle,
)
from callcenter.handover import HandoverRead
from callcenter.records.model import LedgerEntry, RecordVersion, ServiceRecord, SurveyRecord

if TYPE_CHECKING:  # the monthly report's arithmetic: not at start-up
    from callcenter.reports.monthly import CaseFacts, CaseTally, ComplaintFacts
if TYPE_CHECKING:  # the ledger filter checks text with phonenumbers: not at start-up
    from callcenter.records.ledger_query import CellQuery, LedgerCursor, LedgerFilter
if TYPE_CHECKING:  # the search's parsing loads phonenumbers: not before the first frame
    from callcenter.search import SearchTerms
if TYPE_CHECKING:  # the dashboard's arithmetic: not before the first frame
    from callcenter.reports.dashboard import CaseFact, ComplaintFact, SurveyFact


class CaseClockView(NamedTuple):
    """What the SLA sweep reads of each case it judges (every open case, the first time).

    Instants are integer microseconds since 1970-01-01 UTC (``None`` when the event has not
    happened): exact, and far cheaper to read and compare than datetimes. The fields from
    ``received`` to ``feedback`` are named after :class:`callcenter.sla.ClockEvent` values.
    ``version`` and ``watch`` (the case's ``watch_at``) are what the sweep's schedule was.
    """

    id: int
    policy: str
    priority: str
    plan: str
    received: int
    dispatched: int | None
    arrived: int | None
    completed: int | None
    feedback: int | None
    promised: int | None  # the current promised arrival
    version: int
    watch: int


class AlertKey(NamedTuple):
    """An alert's identity (its unique key) and how far it got, as the sweep reads it.

    ``deadline`` is in microseconds since 1970-01-01 UTC, like :class:`CaseClockView`.
    """

    id: int
    case_id: int
    kind: str
    deadline: int
    resolved: bool  # test its truth, not its identity (SQLite may give 0 or 1)
    outcome: str


class CaseRepository(Protocol):
    def add(self, case: Case) -> Case: ...
    def add_many(self, cases: Sequence[Case]) -> None:
        """Add many cases at once (one INSERT); each gets its id."""
        ...

    def get(self, case_id: int) -> Case | None: ...
    def save(self, case: Case) -> Case:
        """Write ``case`` back; raises ConcurrencyConflict if its version is stale."""
        ...

    def list_open(self) -> list[Case]: ...
    def list_open_for_notice(self, until: datetime) -> list[Case]:
        """Open cases, crew not on scene, whose promise falls at or before ``until`` or was
        extended, or whose owner was told of a delay."""
        ...

    def list_by_ids(self, ids: Iterable[int]) -> list[Case]: ...
    def recent_for(self, *, phone: str | None, plate: str | None, limit: int = 5) -> list[Case]: ...
    def search(self, terms: SearchTerms, limit: int = 50) -> list[Case]: ...
    def by_number(self, number: str) -> Case | None: ...
    def ids_by_number(self, numbers: Iterable[str]) -> dict[str, int]:
        """The id of each of ``numbers`` that is a case (the others are left out)."""
        ...

    def for_customer(self, customer_id: int, limit: int = 200) -> list[Case]: ...
    def next_number(self, day: str) -> str: ...
    def count(self) -> int: ...
    def arrivals_between(self, start: datetime, end: datetime) -> tuple[int, int]:
        """(arrivals, of which on time) of the crews that arrived in [start, end)."""
        ...

    def numbers(self, ids: Iterable[int]) -> dict[int, str]:
        """Case numbers by id."""
        ...


class CrewRepository(Protocol):
    def add(self, crew: Crew) -> Crew: ...
    def get(self, crew_id: int) -> Crew | None: ...
    def save(self, crew: Crew) -> Crew: ...
    def list(self) -> list[Crew]: ...


class CustomerRepository(Protocol):
    def add(self, customer: Customer) -> Customer: ...
    def get(self, customer_id: int) -> Customer | None: ...
    def find_by_phone(self, phone: str) -> Customer | None: ...
    def find_by_plate(self, plate: str) -> tuple[Customer, Vehicle] | None: ...
    def add_vehicle(self, vehicle: Vehicle) -> Vehicle: ...
    def count(self) -> int: ...
    def save(self, customer: Customer) -> Customer:
        """Write the entry back (not its vehicles); raises ConcurrencyConflict if stale."""
        ...

    def save_vehicle(self, vehicle: Vehicle) -> Vehicle: ...
    def find(self, terms: SearchTerms, limit: int = 50) -> list[Customer]: ...
    def incomplete(self, first_seen_before: datetime, limit: int = 200) -> list[Customer]:
        """Entries first seen before the instant that miss a required detail."""
        ...

    def with_vehicles_in_use(self, after_id: int = 0, limit: int = 1000) -> list[Customer]: ...
    def by_ids(self, ids: Iterable[int]) -> list[Customer]: ...


class AssignmentRepository(Protocol):
    def add(self, assignment: Assignment) -> Assignment: ...
    def current_for_case(self, case_id: int) -> Assignment | None: ...
    def release(self, case_id: int, at: datetime) -> None: ...


class EventLog(Protocol):
    def append(self, event: CaseEvent) -> CaseEvent: ...
    def for_case(self, case_id: int) -> list[CaseEvent]: ...
    def append_many(self, events: Sequence[CaseEvent]) -> None:
        """Append many events at once (ids are not read back)."""
        ...


class AlertRepository(Protocol):
    def add_if_absent(self, alert: Alert) -> Alert | None:
        """Insert unless (case, kind, deadline) exists; return it only if this call made it."""
        ...

    def get(self, alert_id: int) -> Alert | None: ...
    def save(self, alert: Alert) -> Alert: ...
    def for_case(self, case_id: int) -> list[Alert]: ...
    def insert_new(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Insert each alert unless its (case, kind, deadline) exists (ON CONFLICT DO NOTHING);
        return those this call inserted, with their ids. Safe against concurrent sweepers."""
        ...

    def keys_of_cases(self, case_ids: Iterable[int]) -> list[AlertKey]:
        """The key and outcome of every alert (resolved or not) of these cases."""
        ...

    def unresolved_of_open_cases(self, kinds: Iterable[AlertKind]) -> list[Alert]:
        """Unresolved alerts of these kinds whose case is still open, oldest first."""
        ...

    def for_cases(self, case_ids: Iterable[int], kinds: Iterable[AlertKind]) -> list[Alert]: ...
    def resolve_unclaimed(
        self, alert_ids: Iterable[int], *, at: datetime, by: str, outcome: str
    ) -> list[int]:
        """Resolve those of these alerts that are neither resolved nor claimed (nor locked by
        another writer); return the ids this call resolved."""
        ...


class StaffRepository(Protocol):
    def add(self, staff: Staff) -> Staff: ...
    def get(self, username: str) -> Staff | None: ...
    def save(self, staff: Staff) -> Staff: ...
    def list(self) -> list[Staff]: ...


@dataclass
class AuditEntry:
    """One line of the general audit log: a change made, or an action refused."""

    at: datetime
    actor: str
    action: str
    entity: str = ""
    entity_id: int | None = None
    allowed: bool = True
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True)
class AuditQuery:
    """The audit viewer's filter: a person, an action, a span ``[since, until)``, only
    refusals; ``before`` is the keyset cursor (the last line shown: its time and id)."""

    actor: str = ""
    action: str = ""
    since: datetime | None = None
    until: datetime | None = None
    refused_only: bool = False
    before: tuple[datetime, int] | None = None


class AuditLog(Protocol):
    """Append-only: who did (or tried to do) what, when."""

    def append(self, entry: AuditEntry) -> AuditEntry: ...
    def append_many(self, entries: Sequence[AuditEntry]) -> None:
        """Append many entries at once (ids are not read back)."""
        ...

    def recent(
        self, *, limit: int = 100, actor: str | None = None, allowed: bool | None = None
    ) -> list[AuditEntry]:
        """The newest entries first, optionally only one actor's or only refusals."""
        ...

    def page(self, query: AuditQuery, limit: int = 100) -> list[AuditEntry]:
        """The entries matching ``query``, newest first, older than ``query.before``."""
        ...


class WatchRepository(Protocol):
    """The SLA sweep's schedule: for each open case, the instant from which the sweep must
    judge it again. Saving a case (or adding one) schedules it at once."""

    def due(self, until: datetime) -> list[CaseClockView]:
        """The open cases scheduled at or before ``until`` (every one never judged)."""
        ...

    def schedule(self, items: Iterable[tuple[int, int, datetime]]) -> None:
        """Set ``(case id, version judged, next look)``: only where the case still has that
        version (a case saved since then stays scheduled at once)."""
        ...

    def rules(self) -> str | None:
        """The fingerprint of the rules the schedule was computed with."""
        ...

    def adopt(self, rules: str, *, at: datetime, by: str) -> int | None:
        """Schedule every open case at once and record ``rules``; returns how many cases, or
        None when ``rules`` were already recorded (another sweeper was first)."""
        ...


class CallTaskRepository(Protocol):
    """The call desk's own tasks (kinds that are not ``external``) and their attempts."""

    def add(self, task: CallTask) -> CallTask: ...
    def add_unless_keyed(self, task: CallTask) -> CallTask | None:
        """Add ``task`` unless one with its ``dedupe_key`` exists; None then."""
        ...

    def get(self, task_id: int) -> CallTask | None: ...
    def save(self, task: CallTask) -> CallTask:
        """Raises ConcurrencyConflict if the stored version differs from ``task.version``."""
        ...

    def open_due(self, until: datetime, kinds: Iterable[str]) -> list[CallTask]:
        """The open tasks of ``kinds`` whose next try is at or before ``until``."""
        ...

    def open_for(
        self, *, case_id: int | None = None, customer_id: int | None = None
    ) -> list[CallTask]: ...
    def for_case(self, case_id: int, kind: str | None = None) -> list[CallTask]:
        """Every task about ``case_id`` (of ``kind``), open or not, oldest first."""
        ...

    def add_attempt(self, attempt: CallAttempt) -> CallAttempt: ...
    def attempts(self, task_id: int) -> list[CallAttempt]: ...
    def add_unique(self, task: CallTask) -> CallTask | None:
        """Add ``task`` unless a task with its ``unique_key`` exists (None then): the unique
        key decides, whatever the number of sessions adding it at once."""
        ...

    def keys_taken(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` some task already has."""
        ...

    def revisit_candidates(
        self, completed_after: datetime, completed_before: datetime, kind: str, limit: int
    ) -> list[tuple[int, int | None, datetime]]:
        """Closed cases with a service record completed in the window and no task of
        ``kind``: (case id, customer id, completed at), oldest first."""
        ...

    def for_customer(
        self, customer_id: int, phone: str, limit: int
    ) -> list[tuple[CallTask, list[CallAttempt], str]]:
        """The calls of a customer, newest first: tasks about them, about their cases, or to
        their phone number; each with its attempts and its case's number ("" if none)."""
        ...


class ServiceRecordRepository(Protocol):
    """Service records (one per case) and every saved version of each."""

    def for_case(self, case_id: int) -> ServiceRecord | None: ...
    def for_cases(self, case_ids: list[int]) -> dict[int, ServiceRecord]: ...
    def add(self, record: ServiceRecord) -> ServiceRecord: ...
    def save(self, record: ServiceRecord) -> ServiceRecord:
        """Raises ConcurrencyConflict if the stored version differs from ``record.version``."""
        ...

    def add_version(self, version: RecordVersion) -> RecordVersion: ...
    def versions(self, case_id: int) -> list[RecordVersion]: ...


class LedgerRepository(Protocol):
    """The rescue ledger: one entry per case, replaced whole when it changes."""

    def get(self, case_id: int) -> LedgerEntry | None: ...
    def for_cases(self, case_ids: Iterable[int]) -> dict[int, LedgerEntry]: ...
    def put(self, entry: LedgerEntry) -> LedgerEntry: ...
    def add_many(self, entries: Sequence[LedgerEntry]) -> None:
        """The first entries of many cases at once."""
        ...

    def count(self) -> int: ...
    def page(
        self, flt: LedgerFilter, after: LedgerCursor | None, limit: int, *, extra: bool = True
    ) -> list[LedgerEntry]:
        """Up to ``limit`` entries matching ``flt``, newest received first (ties: highest
        case id first), strictly after ``after`` in that order (keyset paging). Without
        ``extra`` each entry's ``extra`` is left empty (the export, which does not show it)."""
        ...

    def count_matching(self, flt: LedgerFilter) -> int: ...
    def cells(
        self, flt: LedgerFilter, after: LedgerCursor | None, limit: int, query: CellQuery
    ) -> list[tuple[Any, ...]]:
        """Like :meth:`page`, each row as the cells ``query`` asks for, converted by the
        database, with the row's cursor last (the XLSX export)."""
        ...

    def first_received(self, flt: LedgerFilter) -> datetime | None:
        """When the earliest row matching ``flt`` was received (None: no row)."""
        ...


class SurveyRepository(Protocol):
    def add(self, survey: SurveyRecord) -> SurveyRecord: ...
    def for_case(self, case_id: int, kind: str | None = "feedback") -> list[SurveyRecord]:
        """The surveys of ``case_id`` taken in calls of ``kind`` (None: every kind)."""
        ...

    def tally(self, start: datetime, end: datetime) -> dict[str, int]:
        """Surveys in ``[start, end)``: satisfied, rated, and each result's count."""
        ...


class ComplaintRepository(Protocol):
    def add(self, complaint: Complaint) -> Complaint: ...
    def get(self, complaint_id: int) -> Complaint | None: ...
    def by_task(self, task_id: int) -> Complaint | None:
        """The complaint whose call-back is the call task ``task_id``."""
        ...

    def save(self, complaint: Complaint) -> Complaint:
        """Raises ConcurrencyConflict if the stored version differs from ``complaint.version``."""
        ...

    def count_received_between(self, start: datetime, end: datetime) -> int: ...
    def find(
        self, *, open_only: bool = False, crew_id: int | None = None, limit: int = 500
    ) -> list[Complaint]: ...
    def against_crew_since(self, crew_id: int, since: datetime) -> list[Complaint]: ...
    def crew_counts(self, now: datetime, short: datetime, long: datetime) -> list[CrewComplaints]:
        """Per crew: complaints received since ``short`` and since ``long`` (up to ``now``)."""
        ...

    def repeat_of(
        self, plate: str, fault_category: str, since: datetime, before: datetime
    ) -> tuple[int, str] | None:
        """The latest case of ``plate`` and ``fault_category`` completed in [since, before)."""
        ...

    def count_events(self, kind: str, start: datetime, end: datetime) -> int:
        """Case events of ``kind`` in [start, end) (e.g. the repeated repairs)."""
        ...


class ComplaintAlertRepository(Protocol):
    def for_complaints(self, ids: Iterable[int]) -> list[ComplaintAlert]: ...
    def by_ids(self, ids: Iterable[int]) -> list[tuple[ComplaintAlert, str]]:
        """The alerts ``ids`` with their complaint's number."""
        ...

    def add_if_absent(self, alert: ComplaintAlert) -> ComplaintAlert | None:
        """Insert unless (complaint, kind, deadline) exists; None when it did."""
        ...

    def resolve(self, ids: Sequence[int], *, at: datetime, outcome: str) -> None: ...


class EscalationRepository(Protocol):
    def add_if_absent(self, escalation: Escalation) -> Escalation | None:
        """Insert unless one with the same key exists; None when it did."""
        ...

    def get(self, escalation_id: int) -> Escalation | None: ...
    def save(self, escalation: Escalation) -> Escalation: ...
    def recent(self, since: datetime, *, unacknowledged_only: bool = False) -> list[Escalation]:
        """Raised since ``since``, and every one not acknowledged, newest first."""
        ...


class ReportRepository(Protocol):
    """The reads of the monthly report (issue 14): what it needs of each case received, and
    of each complaint received, in [start, end)."""

    def month_cases(
        self, start: datetime, end: datetime, response_clock: Callable[[str, str], int | None]
    ) -> list[CaseFacts]:
        """The cases received in [start, end); ``response_clock(policy, priority)`` gives
        each one's response clock in minutes."""
        ...

    def month_tally(
        self, start: datetime, end: datetime, response_clock: Callable[[str, str], int | None]
    ) -> CaseTally:
        """What :meth:`month_cases` adds up to (``callcenter.reports.monthly.tally`` of it),
        counted without reading the cases one by one."""
        ...

    def month_complaints(self, start: datetime, end: datetime) -> list[ComplaintFacts]: ...


class HandoverRepository(Protocol):
    """What the shift-handover digest reads beyond the other repositories, and its reads."""

    def last_delay_calls(self, case_ids: Iterable[int]) -> dict[int, CaseEvent]:
        """The last delay call (a ``delay_call`` event) of each of ``case_ids`` that had one."""
        ...

    def unanswered_surveys(self, since: datetime) -> list[SurveyRecord]:
        """Feedback surveys since ``since`` that were not answered, oldest first."""
        ...

    def complaints_new_or_open(self, since: datetime) -> list[Complaint]:
        """Complaints received since ``since``, and every open one."""
        ...

    def reads(self, shift_start: datetime) -> list[HandoverRead]:
        """Who read the handover of the shift that began at ``shift_start``, first first."""
        ...

    def add_read(self, read: HandoverRead) -> HandoverRead | None:
        """Keep ``read`` unless its reader already read that shift's handover (None then)."""
        ...


class DashboardRepository(Protocol):
    """The KPI dashboard's reads (``callcenter.reports.dashboard``): what it needs of the cases
    received in ``[start, end)``, and of the complaints received then."""

    def case_facts(self, start: datetime, end: datetime) -> list[CaseFact]:
        """The cases received in ``[start, end)``, with the last delay reason given (the
        timeline's, else the ledger's) and the ledger's on-time verdicts."""
        ...

    def survey_facts(self, start: datetime, end: datetime) -> list[SurveyFact]:
        """The feedback surveys of the cases received in ``[start, end)``, oldest first (a
        case's last one is its survey)."""
        ...

    def complaint_facts(self, start: datetime, end: datetime) -> list[ComplaintFact]:
        """The complaints received in ``[start, end)``, with their case's number."""
        ...


class UnitOfWork(Protocol):
    """One transaction. Rolled back on exit unless :meth:`commit` was called."""

    cases: CaseRepository
    crews: CrewRepository
    customers: CustomerRepository
    assignments: AssignmentRepository
    events: EventLog
    alerts: AlertRepository
    staff: StaffRepository
    audit: AuditLog
    watch: WatchRepository
    calls: CallTaskRepository
    records: ServiceRecordRepository
    ledger: LedgerRepository
    surveys: SurveyRepository
    complaints: ComplaintRepository
    complaint_alerts: ComplaintAlertRepository
    escalations: EscalationRepository
    reports: ReportRepository
    handover: HandoverRepository

    @property
    def dashboard(self) -> DashboardRepository:
        """Made on first use: its module stays off the board's start-up path."""
        ...

    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, *, write: bool = True) -> UnitOfWork: ...


class ChangeFeed(Protocol):
    """Tells a session what other sessions changed, without re-reading every row."""

    def poll(self) -> Sequence[Change]:
        """Changes committed since the last poll (cheap when there are none)."""
        ...

    def wait(self, timeout: float) -> Sequence[Change]:
        """Block up to ``timeout`` seconds until there are changes; return them (maybe none).

        Raises ``DatabaseUnavailable`` while the database is away; a later call reconnects.
        """
        ...

    def close(self) -> None: ...
