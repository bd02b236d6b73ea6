"""The revisit (回访, seed 004: 内勤分阶段对销售后3个月以上的所有顾客 … 回访顾客): a call to every
customer some months after a service, asking the survey of the feedback call (its own
template, ``callcenter/surveys/revisit.toml``).

Its due rule is data (:class:`RevisitRules`, ``callcenter/calls/followups.toml`` or the
site's ``<config_dir>/followups.toml``): a closed case with a service record owes one revisit
``months`` after the service was completed, on that day at ``call_at`` in the centre's time
zone — never before the months have passed. The sweep creates it once per case (the
database's unique key ``revisit:case:<id>`` decides). No answer or a busy line is tried again
the next day, then two days later; a reached call stores its survey tagged as a revisit
(it never changes the case's feedback result).
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from callcenter.calls.model import CallKind, Outcome, Subject
from callcenter.errors import CallCenterError
from callcenter.i18n import N_, _

NAME = "revisit"
#: Its survey template: ``callcenter/surveys/revisit.toml``, or the site's copy.
SURVEY = "revisit"
RULES_FILE = Path(__file__).with_name("followups.toml")
_CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class RulesError(CallCenterError):
    """The follow-up rules file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class RevisitRules:
    months: int = 3
    call_at: time = time(9, 0)
    skip_after_days: int = 60


def add_months(day: date, months: int) -> date:
    """``day`` ``months`` calendar months later; the 31st becomes the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = (following - timedelta(days=1)).day
    return date(year, month, min(day.day, last))


def due_at(completed_at: datetime, rules: RevisitRules, tz: tzinfo) -> datetime:
    """When the revisit of a service completed at ``completed_at`` falls due (UTC): the day
    ``rules.months`` later at ``rules.call_at`` local time, or the next day's when that is
    still before the months have passed."""
    local = completed_at.astimezone(tz)
    exact_day = add_months(local.date(), rules.months)
    exact = datetime.combine(exact_day, local.timetz().replace(tzinfo=None), tzinfo=tz)
    due = datetime.combine(exact_day, rules.call_at, tzinfo=tz)
    if due < exact:
        due = datetime.combine(exact_day + timedelta(days=1), rules.call_at, tzinfo=tz)
    return due.astimezone(UTC)


def completed_before(now: datetime, rules: RevisitRules) -> datetime:
    """A bound for the sweep's query: every service whose revisit is due at ``now`` was
    completed before it (a few days' margin for month ends and the call time)."""
    local = now.astimezone(UTC)
    back = add_months(local.date(), -rules.months) + timedelta(days=4)
    return datetime.combine(back, time(0), tzinfo=UTC)


def completed_after(now: datetime, rules: RevisitRules) -> datetime:
    """Services completed before this are past ``skip_after_days`` of their revisit."""
    local = now.astimezone(UTC) - timedelta(days=rules.skip_after_days + 1)
    back = add_months(local.date(), -rules.months) - timedelta(days=4)
    return datetime.combine(back, time(0), tzinfo=UTC)


def unique_key(case_id: int) -> str:
    return f"{NAME}:case:{case_id}"


def parse_rules(text: str, source: str) -> RevisitRules:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: " + _("not valid TOML: {error}").format(error=exc)) from exc
    section = data.get("revisit", {})
    if not isinstance(section, dict):
        raise RulesError(f"{source}: revisit: " + _("must be a table"))
    allowed = {"months", "call_at", "skip_after_days"}
    for key in section:
        if key not in allowed:
            raise RulesError(
                f"{source}: revisit.{key}: "
                + _("unknown key; expected one of: {choices}").format(
                    choices=", ".join(sorted(allowed))
                )
            )
    months = _whole(section, "months", 3, 1, 60, source)
    skip = _whole(section, "skip_after_days", 60, 1, 3650, source)
    clock_text = section.get("call_at", "09:00")
    match = _CLOCK_RE.match(clock_text) if isinstance(clock_text, str) else None
    if match is None:
        raise RulesError(f"{source}: revisit.call_at: " + _("must be a time like “09:00”"))
    return RevisitRules(months, time(int(match[1]), int(match[2])), skip)


def _whole(data: Mapping[str, Any], key: str, default: int, low: int, high: int, src: str) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problem = _("must be a whole number from {low} to {high}").format(low=low, high=high)
        raise RulesError(f"{src}: revisit.{key}: {problem}")
    return value


def load_rules(config_dir: Path | None = None) -> RevisitRules:
    """The site's rules (``<config_dir>/followups.toml``) or the shipped ones."""
    path = RULES_FILE
    if config_dir is not None and (Path(config_dir) / "followups.toml").is_file():
        path = Path(config_dir) / "followups.toml"
    try:
        stat = path.stat()
    except OSError as exc:
        raise RulesError(f"{path}: {exc}") from exc
    return _load(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _load(path: Path, _mtime: int, _size: int) -> RevisitRules:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: {exc}") from exc
    return parse_rules(text, str(path))


def site_rules() -> RevisitRules:
    from callcenter.settings import config_dir

    return load_rules(config_dir())


def parse_result(raw: Mapping[str, str]) -> dict[str, Any]:
    """The revisit survey as typed (as the feedback call's, its own template)."""
    from callcenter.survey import parse_answers, site_template

    return parse_answers(site_template(SURVEY), raw).as_payload()


KIND = CallKind(
    name=NAME,
    label=N_("Revisit"),
    subject=Subject.CASE,
    outcomes=(
        Outcome.REACHED,
        Outcome.NOT_REACHED,
        Outcome.BUSY,
        Outcome.WRONG_NUMBER,
        Outcome.REFUSED,
    ),
    done_on=frozenset({Outcome.REACHED}),
    give_up_on=frozenset({Outcome.WRONG_NUMBER, Outcome.REFUSED}),
    retry_after=(timedelta(days=1), timedelta(days=2)),
    max_attempts=3,  # the day it falls due, the next day, two days later
    parse_result=parse_result,
    overdue_after=timedelta(days=7),  # 内勤分阶段: within the week it fell due
    survey=SURVEY,
)
