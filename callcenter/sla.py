"""SLA policies as data, and the pure clock arithmetic over them.

A policy is a TOML file. The shipped presets live in ``callcenter/policies/``; a site may add
or override one by dropping ``<config_dir>/policies/<name>.toml`` (the site file wins whole,
nothing is merged). Every file is validated on load; a mistake raises :class:`PolicyError`
naming the file, the key and what is wrong, e.g.
``roadside.toml: clocks.arrival.bands[2].minutes: must be a positive integer``
(list indexes count from 0).

Schema::

    title = "Roadside rescue"           # optional, shown to users; defaults to the file name
    description = "..."                 # optional
    at_risk_minutes = 10                # optional (default 10): a live clock is AT_RISK when
                                        # this little time is left; a clock may override it

    [business_hours]                    # optional; required if any clock follows office hours
    days = ["mon", "tue", "wed", "thu", "fri"]
    start = "09:00"                     # "HH:MM" (or a TOML local time), in the centre's zone
    end = "18:00"                       # after start, same day
    holidays = ["2025-10-01"]           # optional dates ("YYYY-MM-DD" or TOML dates)

    [clocks.<kind>]                     # kind: response | arrival | repair | completion | feedback
    minutes = 5                         # the target, a positive integer ...
    # ... or, for the arrival clock only, distance bands (below) instead of minutes
    from = "received"                   # optional start event: received | dispatched | arrived |
                                        # completed (defaults below); must precede the end event
    business_hours = false              # optional: count only time inside [business_hours]
    at_risk_minutes = 10                # optional: overrides the policy's value for this clock
    plans = ["onsite_repair"]           # optional: apply only to cases with these rescue plans
    enabled = true                      # optional: false switches the clock off (see priorities)

    [[clocks.arrival.bands]]            # sorted by max_km ascending; max_km is an inclusive
    max_km = 10                         # upper bound in km from the call centre's depot
    minutes = 40
    [[clocks.arrival.bands]]            # the last band has no max_km: it covers every distance
    agreed = true                       # deadline = the arrival time agreed with the owner at
                                        # intake, which then is required

    [priorities.<priority>.clocks.<kind>]   # priority: urgent | severe | general
    minutes = 60                        # per-priority override: keys given here replace those of
    business_hours = false              # [clocks.<kind>] for cases of that priority; a clock
                                        # may be defined here only, or switched off (enabled=false)

    [tariff]                            # optional: the rescue fee in yuan per rescue plan,
    towing = 0                          # told to the owner before dispatch and pre-filled at
    battery = 150                       # intake. Keys: towing | onsite_repair | battery | tyre |
    fuel = "80.50"                      # fuel | lockout | other; values: a number or a numeric
                                        # string, 0 to 100000, at most 2 decimals. A plan left
                                        # out costs what DEFAULT_TARIFF says (towing 0,
                                        # onsite_repair 200, battery 150, tyre 100, fuel 80,
                                        # lockout 200, other 100); fuel adds the fuel itself.

Each clock runs from its start event to a fixed end event:

==========  ======================  ======================
clock       default start (from)    end event
==========  ======================  ======================
response    received (the call)     dispatched
arrival     received (always)       arrived on scene
repair      arrived                 completed
completion  received                completed
feedback    completed               feedback call made
==========  ======================  ======================

A clock whose end event happened is MET if it happened at or before the deadline, else MISSED.
A live clock is ON_TRACK, AT_RISK (at most ``at_risk_minutes`` left, the deadline itself
included) or LATE (past the deadline). A clock whose start event has not happened yet, or
that was still running when the case was cancelled, is PENDING.

All datetimes in and out are timezone-aware UTC; ``tz`` (the centre's zone) is only used to
lay office hours on the calendar.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

from callcenter.domain.enums import CaseStatus, Priority, RescuePlan
from callcenter.domain.model import Case
from callcenter.errors import CallCenterError, ValidationError
from callcenter.i18n import N_, _
from callcenter.validation import MAX_FEE

PRESETS_DIR = Path(__file__).with_name("policies")
DEFAULT_POLICY = "roadside"
DEFAULT_AT_RISK_MINUTES = 10
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_TIME_RE = re.compile(r"^\d{2}:\d{2}$")
_MAX_CALENDAR_DAYS = 3 * 366  # office-hours search gives up after this many days
_CENT = Decimal("0.01")
_YUAN_RE = re.compile(r"^-?(?:\d+(?:\.\d*)?|\.\d+)$")

# The rescue fee in yuan per plan when a policy's [tariff] leaves the plan out: told to the
# owner before dispatch (seed 000: 主动告知救援收费标准). Towing within 24 h is free
# (seed 000: 提供24小时内免费拖车服务); fuel delivery adds the fuel itself.
DEFAULT_TARIFF: Mapping[RescuePlan, Decimal] = MappingProxyType(
    {
        RescuePlan.TOWING: Decimal("0"),
        RescuePlan.ONSITE_REPAIR: Decimal("200"),
        RescuePlan.BATTERY: Decimal("150"),
        RescuePlan.TYRE: Decimal("100"),
        RescuePlan.FUEL: Decimal("80"),
        RescuePlan.LOCKOUT: Decimal("200"),
        RescuePlan.OTHER: Decimal("100"),
    }
)


# --------------------------------------------------------------------------------------------
# Errors


#: The longest a clock may run: a year. Beyond it a deadline is nonsense (and a huge number
#: overflows the date arithmetic of every save).
MAX_MINUTES = 366 * 24 * 60


class PolicyError(CallCenterError):
    """A policy file is missing, unreadable or invalid. The message names file and key."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")
        self.file = file
        self.key = key
        self.problem = problem


class AgreedTimeRequired(ValidationError):
    """The distance falls in a band whose deadline is a time agreed with the owner."""

    def __init__(self, message: str) -> None:
        super().__init__("agreed_arrival_at", message)


# --------------------------------------------------------------------------------------------
# Enums


class ClockKind(StrEnum):
    RESPONSE = "response"  # call received → crew dispatched
    ARRIVAL = "arrival"  # call received → crew on scene
    REPAIR = "repair"  # minor repair (小项维修): on scene → completed
    COMPLETION = "completion"  # job done (priority policy)
    FEEDBACK = "feedback"  # completed → feedback call made

    @property
    def label(self) -> str:
        return _(_KIND_LABELS[self])


class ClockState(StrEnum):
    PENDING = "pending"  # not running: not started yet, or the case was cancelled
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    LATE = "late"
    MET = "met"
    MISSED = "missed"

    @property
    def label(self) -> str:
        return _(_STATE_LABELS[self])

    @property
    def is_live(self) -> bool:
        return self in (ClockState.ON_TRACK, ClockState.AT_RISK, ClockState.LATE)


class ClockEvent(StrEnum):
    """The events of a case that start and stop clocks, in the order they happen."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    ARRIVED = "arrived"
    COMPLETED = "completed"
    FEEDBACK = "feedback"

    @property
    def field(self) -> str:
        """The :class:`Case` attribute holding the instant of this event."""
        return f"{self.value}_at"

    @property
    def order(self) -> int:
        return list(ClockEvent).index(self)


_KIND_LABELS: dict[ClockKind, str] = {
    ClockKind.RESPONSE: N_("Response"),
    ClockKind.ARRIVAL: N_("Arrival"),
    ClockKind.REPAIR: N_("Minor repair"),
    ClockKind.COMPLETION: N_("Completion"),
    ClockKind.FEEDBACK: N_("Feedback call"),
}

_STATE_LABELS: dict[ClockState, str] = {
    ClockState.PENDING: N_("Not started"),
    ClockState.ON_TRACK: N_("On track"),
    ClockState.AT_RISK: N_("At risk"),
    ClockState.LATE: N_("Late"),
    ClockState.MET: N_("Met"),
    ClockState.MISSED: N_("Missed"),
}

DEFAULT_START: dict[ClockKind, ClockEvent] = {
    ClockKind.RESPONSE: ClockEvent.RECEIVED,
    ClockKind.ARRIVAL: ClockEvent.RECEIVED,
    ClockKind.REPAIR: ClockEvent.ARRIVED,
    ClockKind.COMPLETION: ClockEvent.RECEIVED,
    ClockKind.FEEDBACK: ClockEvent.COMPLETED,
}

END_EVENT: dict[ClockKind, ClockEvent] = {
    ClockKind.RESPONSE: ClockEvent.DISPATCHED,
    ClockKind.ARRIVAL: ClockEvent.ARRIVED,
    ClockKind.REPAIR: ClockEvent.COMPLETED,
    ClockKind.COMPLETION: ClockEvent.COMPLETED,
    ClockKind.FEEDBACK: ClockEvent.FEEDBACK,
}

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# --------------------------------------------------------------------------------------------
# The policy, as loaded


@dataclass(frozen=True, slots=True)
class BusinessHours:
    """Office hours: open ``start``–``end`` local time on ``days`` (0 = Monday), not holidays."""

    days: frozenset[int]
    start: time
    end: time
    holidays: frozenset[date] = frozenset()

    def is_open_on(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays


@dataclass(frozen=True, slots=True)
class Band:
    """An arrival band: distances up to ``max_km`` (inclusive; None = any) get ``minutes``."""

    max_km: Decimal | None
    minutes: int | None
    agreed: bool = False


@dataclass(frozen=True, slots=True)
class ClockRule:
    """One clock of a policy, after per-priority overrides were applied."""

    kind: ClockKind
    start: ClockEvent
    minutes: int | None  # None when the target comes from distance bands
    bands: tuple[Band, ...] = ()
    business_hours: bool = False
    at_risk: timedelta = timedelta(minutes=DEFAULT_AT_RISK_MINUTES)
    plans: frozenset[RescuePlan] | None = None  # None: every plan

    @property
    def end(self) -> ClockEvent:
        return END_EVENT[self.kind]

    def applies_to(self, plan: RescuePlan) -> bool:
        return self.plans is None or plan in self.plans


@dataclass(frozen=True)
class ComplaintPolicy:
    """The complaint clocks of a policy (seed 001: 及时处理; seed 002: 处理到客户满意为止), in
    minutes from the complaint's receipt, each with its at-risk window, and the windows of
    repeated repair and of a crew member's repeated complaints, in days."""

    notify_minutes: int = 60  # the responsible person told
    notify_at_risk_minutes: int = 15
    plan_minutes: int = 180  # a plan of what will be done
    plan_at_risk_minutes: int = 30
    resolve_minutes: int = 4320  # resolved and the customer called back (72 h)
    resolve_at_risk_minutes: int = 720
    repeat_repair_days: int = 30  # same plate, same fault, within N days of a completed case
    crew_repeat_days: int = 30  # a second complaint against a crew member: escalated


@dataclass(frozen=True)
class Policy:
    """A validated SLA policy: clock rules for each priority, and the fee tariff."""

    name: str
    title: str
    description: str
    source: str
    business_hours: BusinessHours | None
    by_priority: Mapping[Priority, Mapping[ClockKind, ClockRule]]
    tariff: Mapping[RescuePlan, Decimal]  # yuan per plan, every plan present
    #: The complaint clocks and the repeated-repair window (the ``[complaints]`` table).
    complaints: ComplaintPolicy = field(default_factory=lambda: ComplaintPolicy())

    def rules(self, priority: Priority = Priority.GENERAL) -> list[ClockRule]:
        """The clocks that run for cases of ``priority``, in :class:`ClockKind` order."""
        return list(self.by_priority[priority].values())

    def rule(self, kind: ClockKind, priority: Priority = Priority.GENERAL) -> ClockRule | None:
        return self.by_priority[priority].get(kind)


@dataclass(frozen=True, slots=True)
class ClockStatus:
    """Where one clock of a case stands.

    ``remaining`` is the time left for a live clock (negative when late), the slack for a
    finished one (deadline minus end event; negative when missed), None when pending.
    """

    kind: ClockKind
    deadline: datetime | None
    state: ClockState
    remaining: timedelta | None


# --------------------------------------------------------------------------------------------
# Loading


def policy_path(name: str, config_dir: Path | None = None) -> Path:
    """The file ``name`` is read from: the site's copy if there is one, else the preset."""
    if not _NAME_RE.match(name):
        raise PolicyError(f"{name}.toml", "", _("not a valid policy name"))
    if config_dir is not None:
        site = Path(config_dir) / "policies" / f"{name}.toml"
        if site.is_file():
            return site
    preset = PRESETS_DIR / f"{name}.toml"
    if preset.is_file():
        return preset
    raise PolicyError(
        f"{name}.toml",
        "",
        _("no such SLA policy; available: {names}").format(
            names=", ".join(available_policies(config_dir))
        ),
    )


#: The shipped presets' titles, translated on display (a site's own policy shows its title).
PRESET_TITLES: Mapping[str, str] = {
    "roadside": N_("Roadside rescue"),
    "field-service": N_("Field service"),
    "priority": N_("By priority"),
}


def policy_title(name: str, title: str = "") -> str:
    """The title of policy ``name`` in the interface language."""
    preset = PRESET_TITLES.get(name)
    return _(preset) if preset is not None else (title or name)


def available_policies(config_dir: Path | None = None) -> list[str]:
    """Names of the shipped presets and the site's policies, sorted."""
    dirs = [PRESETS_DIR]
    if config_dir is not None:
        dirs.append(Path(config_dir) / "policies")
    names = {p.stem for d in dirs if d.is_dir() for p in d.glob("*.toml") if _NAME_RE.match(p.stem)}
    return sorted(names)


def load_policy(name: str, config_dir: Path | None = None) -> Policy:
    """Load and validate the policy ``name``; the site's config dir wins over the presets.

    Results are cached per file and modification time, so an edited file is re-read.
    """
    path = policy_path(name, config_dir)
    try:
        stat = path.stat()
    except OSError as exc:
        raise PolicyError(str(path), "", _("cannot be read: {error}").format(error=exc)) from exc
    return _load_file(path, stat.st_mtime_ns, stat.st_size)


def clear_policy_cache() -> None:
    """Forget every loaded policy (tests, or after a site edits its files)."""
    _load_file.cache_clear()


@functools.lru_cache(maxsize=32)
def _load_file(path: Path, mtime_ns: int, size: int) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), "", _("cannot be read: {error}").format(error=exc)) from exc
    return parse_policy(text, name=path.stem, source=str(path))


def parse_policy(text: str, *, name: str, source: str | None = None) -> Policy:
    """Validate the TOML ``text`` of policy ``name``; ``source`` names it in errors."""
    file = source or f"{name}.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(file, "", _("not valid TOML: {error}").format(error=exc)) from exc
    top = _Table(file, [("", data)])
    top.check_keys(
        [
            "title",
            "description",
            "at_risk_minutes",
            "business_hours",
            "clocks",
            "priorities",
            "tariff",
            "complaints",
        ]
    )
    title = top.string("title", default=name)
    description = top.string("description", default="")
    at_risk = top.minutes("at_risk_minutes", default=DEFAULT_AT_RISK_MINUTES, allow_zero=True)
    hours = _business_hours(top.table("business_hours")) if "business_hours" in data else None
    tariff = _tariff(top.table("tariff")) if "tariff" in data else dict(DEFAULT_TARIFF)
    complaints = (
        _complaint_policy(top.table("complaints")) if "complaints" in data else ComplaintPolicy()
    )

    clocks = top.table("clocks")
    if not clocks.data:
        clocks.fail("", _("the policy defines no clocks"))
    clocks.check_keys(list(ClockKind), unknown=N_("unknown clock; expected one of: {choices}"))

    overrides: dict[Priority, _Table] = {}
    if "priorities" in data:
        priorities = top.table("priorities")
        priorities.check_keys(
            list(Priority), unknown=N_("unknown priority; expected one of: {choices}")
        )
        for priority in Priority:
            if priority.value in priorities.data:
                entry = priorities.table(priority.value)
                entry.check_keys(["clocks"])
                over = entry.table("clocks")
                over.check_keys(
                    list(ClockKind), unknown=N_("unknown clock; expected one of: {choices}")
                )
                overrides[priority] = over

    by_priority: dict[Priority, dict[ClockKind, ClockRule]] = {}
    for priority in Priority:
        rules: dict[ClockKind, ClockRule] = {}
        for kind in ClockKind:
            layers = []
            if kind.value in clocks.data:
                layers.append(clocks.table(kind.value))
            specific = overrides.get(priority)
            if specific is not None and kind.value in specific.data:
                layers.append(specific.table(kind.value))
            if not layers:
                continue
            stacked = _Table(file, [layer for t in layers for layer in t.layers])
            rule = _clock_rule(kind, stacked, hours, at_risk)
            if rule is not None:
                rules[kind] = rule
        by_priority[priority] = rules
    return Policy(
        name=name,
        title=title,
        description=description,
        source=file,
        business_hours=hours,
        by_priority=by_priority,
        tariff=MappingProxyType(tariff),
        complaints=complaints,
    )


def _complaint_policy(table: _Table) -> ComplaintPolicy:
    default = ComplaintPolicy()
    names = [f.name for f in dataclasses.fields(ComplaintPolicy)]
    table.check_keys(names)
    values = {
        name: table.minutes(name, default=getattr(default, name), allow_zero="at_risk" in name)
        for name in names
    }
    return ComplaintPolicy(**values)


class _Table:
    """One TOML table, or a stack of them where later ones win, read with error paths."""

    def __init__(self, file: str, layers: list[tuple[str, Mapping[str, Any]]]) -> None:
        self.file = file
        self.layers = layers

    @property
    def data(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for _path, layer in self.layers:
            merged.update(layer)
        return merged

    def where(self, key: str) -> str:
        """The dotted path of ``key`` in the layer that supplies it."""
        path = self.layers[-1][0]
        for layer_path, layer in reversed(self.layers):
            if key in layer:
                path = layer_path
                break
        if not key:
            return path
        return f"{path}.{key}" if path else key

    def fail(self, key: str, problem: str) -> NoReturn:
        raise PolicyError(self.file, self.where(key), problem)

    def check_keys(
        self, allowed: Iterable[str], unknown: str = N_("unknown key; expected one of: {choices}")
    ) -> None:
        choices = list(allowed)
        for path, layer in self.layers:
            for key in layer:
                if key not in choices:
                    where = f"{path}.{key}" if path else key
                    problem = _(unknown).format(choices=", ".join(choices))
                    raise PolicyError(self.file, where, problem)

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def table(self, key: str) -> _Table:
        value = self.get(key)
        if value is None:
            self.fail(key, _("is required"))
        if not isinstance(value, dict):
            self.fail(key, _("must be a table"))
        return _Table(self.file, [(self.where(key), value)])

    def string(self, key: str, default: str) -> str:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            self.fail(key, _("must be a string"))
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(key, _("must be true or false"))
        return value

    def minutes(self, key: str, default: int | None = None, allow_zero: bool = False) -> int:
        value = self.get(key)
        if value is None:
            if default is None:
                self.fail(key, _("is required"))
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            value = -1
        if allow_zero and value < 0:
            self.fail(key, _("must be a whole number of minutes, 0 or more"))
        if not allow_zero and value <= 0:
            self.fail(key, _("must be a positive integer"))
        if value > MAX_MINUTES:
            self.fail(
                key,
                _("is more than {max} minutes (a year)").format(max=MAX_MINUTES),
            )
        return value

    def string_list(self, key: str) -> list[str] | None:
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            self.fail(key, _("must be a non-empty list"))
        return value


def _business_hours(table: _Table) -> BusinessHours:
    table.check_keys(["days", "start", "end", "holidays"])
    days_raw = table.string_list("days")
    if days_raw is None:
        table.fail("days", _("is required"))
    days: set[int] = set()
    for i, day in enumerate(days_raw):
        if day not in _DAYS:
            problem = _("unknown day; expected one of: {choices}").format(choices=", ".join(_DAYS))
            raise PolicyError(table.file, f"{table.where('days')}[{i}]", problem)
        days.add(_DAYS.index(day))
    start = _time_of_day(table, "start")
    end = _time_of_day(table, "end")
    if end <= start:
        table.fail("end", _("must be later than start"))
    holidays: set[date] = set()
    for i, value in enumerate(table.get("holidays") or []):
        day_value = _date(value)
        if day_value is None:
            where = f"{table.where('holidays')}[{i}]"
            raise PolicyError(table.file, where, _("must be a date as YYYY-MM-DD"))
        holidays.add(day_value)
    return BusinessHours(frozenset(days), start, end, frozenset(holidays))


def _time_of_day(table: _Table, key: str) -> time:
    value = table.get(key)
    if value is None:
        table.fail(key, _("is required"))
    if isinstance(value, time):
        return value
    if isinstance(value, str) and _TIME_RE.match(value):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    table.fail(key, _("must be a time as HH:MM"))


def _date(value: object) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _tariff(table: _Table) -> dict[RescuePlan, Decimal]:
    table.check_keys(
        list(RescuePlan), unknown=N_("unknown rescue plan; expected one of: {choices}")
    )
    tariff = dict(DEFAULT_TARIFF)
    for plan in RescuePlan:
        if plan.value in table.data:
            tariff[plan] = _yuan(table, plan.value)
    return tariff


def _yuan(table: _Table, key: str) -> Decimal:
    """An amount of yuan: a TOML integer or float, or a string of digits like "80.50"."""
    value = table.get(key)
    amount: Decimal | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        amount = Decimal(str(value))
    elif isinstance(value, str) and _YUAN_RE.match(value.strip()):
        amount = Decimal(value.strip())
    if amount is None or not amount.is_finite():
        table.fail(key, _("must be an amount in yuan, e.g. 150 or 7.50"))
    if amount < 0:
        table.fail(key, _("must not be negative"))
    if amount > MAX_FEE:
        table.fail(key, _("must be at most {amount} yuan").format(amount=MAX_FEE))
    if amount != amount.quantize(_CENT):
        table.fail(key, _("must have at most 2 decimals (fen)"))
    return amount + 0  # -0 → 0


_CLOCK_KEYS = ("minutes", "bands", "from", "business_hours", "at_risk_minutes", "plans", "enabled")


def _clock_rule(
    kind: ClockKind, table: _Table, hours: BusinessHours | None, default_at_risk: int
) -> ClockRule | None:
    table.check_keys(_CLOCK_KEYS)
    if not table.boolean("enabled", True):
        return None
    start_raw = table.string("from", DEFAULT_START[kind].value)
    if start_raw not in set(ClockEvent) - {ClockEvent.FEEDBACK}:
        choices = ", ".join(e.value for e in ClockEvent if e is not ClockEvent.FEEDBACK)
        table.fail("from", _("must be one of: {choices}").format(choices=choices))
    start = ClockEvent(start_raw)
    if start.order >= END_EVENT[kind].order:
        table.fail(
            "from",
            _("must come before the event that stops this clock ({event})").format(
                event=END_EVENT[kind].value
            ),
        )
    if kind is ClockKind.ARRIVAL and start is not ClockEvent.RECEIVED:
        table.fail("from", _("the arrival clock always runs from the call (received)"))

    data = table.data
    bands: tuple[Band, ...] = ()
    minutes: int | None = None
    if "bands" in data:
        if kind is not ClockKind.ARRIVAL:
            table.fail("bands", _("only the arrival clock has distance bands"))
        if "minutes" in data:
            table.fail("minutes", _("give either minutes or bands, not both"))
        bands = _bands(table)
    else:
        minutes = table.minutes("minutes")

    business = table.boolean("business_hours", False)
    if business and hours is None:
        table.fail("business_hours", _("needs a [business_hours] table in the policy"))
    at_risk = table.minutes("at_risk_minutes", default=default_at_risk, allow_zero=True)

    plans: frozenset[RescuePlan] | None = None
    plans_raw = table.string_list("plans")
    if plans_raw is not None:
        chosen: set[RescuePlan] = set()
        for i, plan in enumerate(plans_raw):
            if plan not in set(RescuePlan):
                problem = _("unknown rescue plan; expected one of: {choices}").format(
                    choices=", ".join(RescuePlan)
                )
                raise PolicyError(table.file, f"{table.where('plans')}[{i}]", problem)
            chosen.add(RescuePlan(plan))
        plans = frozenset(chosen)

    return ClockRule(
        kind=kind,
        start=start,
        minutes=minutes,
        bands=bands,
        business_hours=business,
        at_risk=timedelta(minutes=at_risk),
        plans=plans,
    )


def _bands(table: _Table) -> tuple[Band, ...]:
    raw = table.get("bands")
    if not isinstance(raw, list) or not raw:
        table.fail("bands", _("must be a non-empty list of tables ([[...bands]])"))
    bands: list[Band] = []
    previous: Decimal | None = None
    last = len(raw) - 1
    for i, item in enumerate(raw):
        where = f"{table.where('bands')}[{i}]"
        if not isinstance(item, dict):
            raise PolicyError(table.file, where, _("must be a table"))
        band = _Table(table.file, [(where, item)])
        band.check_keys(["max_km", "minutes", "agreed"])
        max_km = _km_bound(band, required=i < last)
        if i == last and max_km is not None:
            band.fail(
                "max_km", _("leave it out in the last band, so that every distance is covered")
            )
        if max_km is not None and previous is not None and max_km <= previous:
            band.fail(
                "max_km",
                _("must be greater than the previous band's ({km}); sort bands by distance").format(
                    km=_format_km(previous)
                ),
            )
        agreed = band.boolean("agreed", False)
        if agreed:
            if "minutes" in item:
                band.fail("minutes", _("give either minutes or agreed = true, not both"))
            bands.append(Band(max_km, None, agreed=True))
        else:
            if "minutes" not in item:
                band.fail("minutes", _("is required (or agreed = true)"))
            bands.append(Band(max_km, band.minutes("minutes")))
        previous = max_km
    return tuple(bands)


def _km_bound(band: _Table, *, required: bool) -> Decimal | None:
    value = band.get("max_km")
    if value is None:
        if required:
            band.fail("max_km", _("is required (only the last band leaves it out)"))
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        band.fail("max_km", _("must be a positive number of kilometres"))
    if value > 10_000:
        band.fail("max_km", _("must be at most 10000 kilometres"))
    return Decimal(str(value))


# --------------------------------------------------------------------------------------------
# Arithmetic


def add_business_time(
    start: datetime, duration: timedelta, hours: BusinessHours, tz: tzinfo
) -> datetime:
    """The instant ``duration`` of office time after ``start`` (aware, returned in UTC).

    Time outside office hours does not count; a clock started out of hours starts at the next
    opening. Elapsed time is real time, so a DST change inside the window is honoured.
    """
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    cursor = _utc(start, "start")
    remaining = duration
    day = cursor.astimezone(tz).date()
    for _i in range(_MAX_CALENDAR_DAYS):
        if hours.is_open_on(day):
            opens = datetime.combine(day, hours.start, tzinfo=tz).astimezone(UTC)
            closes = datetime.combine(day, hours.end, tzinfo=tz).astimezone(UTC)
            begin = max(cursor, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
        day += timedelta(days=1)
    raise ValueError("office hours never open: check business_hours days and holidays")


def requires_agreed_time(
    policy: Policy, distance_km: Decimal | float | int, priority: Priority = Priority.GENERAL
) -> bool:
    """Whether a call at this distance needs an arrival time agreed with the owner."""
    rule = policy.rule(ClockKind.ARRIVAL, priority)
    if rule is None or not rule.bands:
        return False
    return rule.bands[_band_index(rule, _km(distance_km))].agreed


def arrival_deadline(
    policy: Policy,
    *,
    received_at: datetime,
    distance_km: Decimal | float | int,
    agreed_arrival_at: datetime | None = None,
    priority: Priority = Priority.GENERAL,
    tz: tzinfo | None = None,
) -> datetime | None:
    """The arrival promised at intake, or None if the policy has no arrival clock.

    Raises :class:`AgreedTimeRequired` when the distance band needs a time agreed with the
    owner and none was given, and :class:`ValidationError` for a negative distance or an agreed
    time not after the call. ``tz`` is needed only if the arrival clock follows office hours.
    """
    rule = policy.rule(ClockKind.ARRIVAL, priority)
    if rule is None:
        return None
    received = _utc(received_at, "received_at")
    minutes = rule.minutes
    if rule.bands:
        index = _band_index(rule, _km(distance_km))
        band = rule.bands[index]
        if band.agreed:
            floor = rule.bands[index - 1].max_km if index else None
            return _agreed_time(received, agreed_arrival_at, floor)
        minutes = band.minutes
    assert minutes is not None
    return _after(policy, rule, received, minutes, tz)


def deadline(policy: Policy, case: Case, kind: ClockKind, tz: tzinfo) -> datetime | None:
    """The deadline of clock ``kind`` for ``case``; None if it does not apply or not started.

    For the arrival clock the case's current promise (``promised_arrival_at``, which may have
    been extended) wins over the bands.
    """
    rule = _applicable(policy, case, kind)
    if rule is None:
        return None
    if kind is ClockKind.ARRIVAL:
        if case.promised_arrival_at is not None:
            return _utc(case.promised_arrival_at, "promised_arrival_at")
        return arrival_deadline(
            policy,
            received_at=case.received_at,
            distance_km=case.distance_km,
            agreed_arrival_at=case.agreed_arrival_at,
            priority=case.priority,
            tz=tz,
        )
    started = getattr(case, rule.start.field)
    if started is None:
        return None
    assert rule.minutes is not None
    return _after(policy, rule, _utc(started, rule.start.field), rule.minutes, tz)


def state(
    policy: Policy,
    case: Case,
    kind: ClockKind,
    now: datetime,
    tz: tzinfo,
    at_risk: timedelta | None = None,
) -> ClockState:
    """The state of clock ``kind`` of ``case`` at ``now``.

    ``at_risk`` overrides the policy's warning window. Raises ``ValueError`` if the clock
    does not apply to the case (see :func:`applies`).
    """
    rule = _applicable(policy, case, kind)
    if rule is None:
        raise ValueError(f"the {kind} clock does not apply to this case")
    return _status(policy, rule, case, now, tz, at_risk).state


def clocks(policy: Policy, case: Case, now: datetime, tz: tzinfo) -> list[ClockStatus]:
    """Every clock that applies to ``case``. A cancelled case keeps only finished clocks."""
    statuses = []
    for rule in policy.rules(case.priority):
        if not rule.applies_to(case.plan):
            continue
        status = _status(policy, rule, case, now, tz, None)
        if case.status is CaseStatus.CANCELLED and status.state not in _FINISHED:
            continue
        statuses.append(status)
    return statuses


@dataclass(frozen=True, slots=True)
class NextDue:
    """The running clock of a case that falls due first (the board's countdown)."""

    kind: ClockKind
    deadline: datetime
    at_risk: timedelta  # the window before the deadline in which it is at risk


def next_due(
    policy: Policy, case: Case, tz: tzinfo, *, arrival_at_risk: timedelta | None = None
) -> NextDue | None:
    """Of the clocks running for ``case`` (started, not ended, the case open), the one whose
    deadline comes first — one already overdue comes before any other; None when none runs.
    Deadlines do not move with time: this changes only when the case does.
    ``arrival_at_risk``: the configured arrival window, used where the policy keeps the
    built-in default (as the sweep does)."""
    if not case.is_open:
        return None
    best: NextDue | None = None
    for rule in policy.rules(case.priority):
        if not rule.applies_to(case.plan) or getattr(case, rule.end.field) is not None:
            continue
        try:
            due = deadline(policy, case, rule.kind, tz)
        except ValidationError:  # an arrival without the agreed time: nothing to count
            continue
        if due is None:
            continue
        window = rule.at_risk
        if (
            rule.kind is ClockKind.ARRIVAL
            and arrival_at_risk is not None
            and window == timedelta(minutes=DEFAULT_AT_RISK_MINUTES)
        ):
            window = arrival_at_risk
        if best is None or due < best.deadline:
            best = NextDue(rule.kind, due, window)
    return best


def applies(policy: Policy, case: Case, kind: ClockKind) -> bool:
    """Whether clock ``kind`` runs for ``case`` (its priority and rescue plan)."""
    return _applicable(policy, case, kind) is not None


_FINISHED = (ClockState.MET, ClockState.MISSED)


def _applicable(policy: Policy, case: Case, kind: ClockKind) -> ClockRule | None:
    rule = policy.rule(kind, case.priority)
    if rule is None or not rule.applies_to(case.plan):
        return None
    return rule


def _status(
    policy: Policy,
    rule: ClockRule,
    case: Case,
    now: datetime,
    tz: tzinfo,
    at_risk: timedelta | None,
) -> ClockStatus:
    due = deadline(policy, case, rule.kind, tz)
    if due is None:
        return ClockStatus(rule.kind, None, ClockState.PENDING, None)
    ended = getattr(case, rule.end.field)
    if ended is not None:
        slack = due - _utc(ended, rule.end.field)
        met = slack >= timedelta(0)
        return ClockStatus(rule.kind, due, ClockState.MET if met else ClockState.MISSED, slack)
    if case.status is CaseStatus.CANCELLED:
        return ClockStatus(rule.kind, due, ClockState.PENDING, None)
    if case.status is CaseStatus.CLOSED:
        # Closed without its end event (a feedback call that never reached the owner): the
        # clock stops at the closing, missed — a closed case never shows a running clock.
        closed = _utc(case.closed_at or now, "closed_at")
        return ClockStatus(rule.kind, due, ClockState.MISSED, due - closed)
    left = due - _utc(now, "now")
    window = rule.at_risk if at_risk is None else at_risk
    if left < timedelta(0):
        current = ClockState.LATE
    elif left <= window:
        current = ClockState.AT_RISK
    else:
        current = ClockState.ON_TRACK
    return ClockStatus(rule.kind, due, current, left)


def _band_index(rule: ClockRule, km: Decimal) -> int:
    """The band ``km`` falls in: the first whose inclusive upper bound it does not exceed."""
    return next(i for i, b in enumerate(rule.bands) if b.max_km is None or km <= b.max_km)


def _after(
    policy: Policy, rule: ClockRule, start: datetime, minutes: int, tz: tzinfo | None
) -> datetime:
    duration = timedelta(minutes=minutes)
    if not rule.business_hours:
        return start + duration
    if tz is None:
        raise ValueError(f"the {rule.kind} clock follows office hours: pass the centre's tz")
    assert policy.business_hours is not None
    return add_business_time(start, duration, policy.business_hours, tz)


def _agreed_time(received: datetime, agreed: datetime | None, floor: Decimal | None) -> datetime:
    if agreed is None:
        if floor is None:
            raise AgreedTimeRequired(_("Enter the arrival time agreed with the owner"))
        raise AgreedTimeRequired(
            _("Over {km} km, enter the arrival time agreed with the owner").format(
                km=_format_km(floor)
            )
        )
    agreed_utc = _utc(agreed, "agreed_arrival_at")
    if agreed_utc <= received:
        raise ValidationError(
            "agreed_arrival_at", _("The agreed arrival time must be after the call")
        )
    return agreed_utc


def _km(value: Decimal | float | int) -> Decimal:
    try:
        km = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        km = Decimal("NaN")
    if not km.is_finite():
        raise ValidationError("distance_km", _("Enter the distance in kilometres"))
    if km < 0:
        raise ValidationError("distance_km", _("The distance cannot be negative"))
    return km


def _format_km(km: Decimal) -> str:
    return format(km.normalize(), "f")


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC)
