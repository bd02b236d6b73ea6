"""The maintenance cycle (强制保养, seed 004) as data, and when a vehicle is next due.

A vehicle is due at each point of the cycle by its running hours or by the time since its
purchase, *whichever comes first*. The running hours are a reading (``running_hours`` on
``reading_on``); the date the next hours point falls on is projected from the vehicle's
average use since its purchase. Pure functions: the clock's day is passed in.
"""

from __future__ import annotations

import calendar
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from callcenter.i18n import _, current_language

SHIPPED = Path(__file__).with_name("maintenance.toml")


class CycleError(ValueError):
    """The maintenance file is wrong: which file and what."""


@dataclass(frozen=True)
class Point:
    """One point of the cycle: at ``hours`` running hours, or ``days``/``months`` after
    the purchase, whichever comes first."""

    hours: int
    days: int = 0
    months: int = 0

    def date_from(self, purchase: date) -> date:
        return add_months(purchase, self.months) + timedelta(days=self.days)


@dataclass(frozen=True)
class Cycle:
    name: str
    title: str
    title_en: str
    points: tuple[Point, ...]
    remind_days: int = 7
    then_every_hours: int = 600
    then_every_months: int = 3

    @property
    def label(self) -> str:
        return self.title_en if current_language() == "en" else self.title

    def describe(self) -> str:
        """``100 h / 10 d · 600 h / 3 mo · …`` in the interface language."""
        parts = []
        for point in self.points:
            when = (
                _("{n} mo").format(n=point.months)
                if point.months
                else _("{n} d").format(n=point.days)
            )
            parts.append(f"{point.hours} h / {when}")
        return " · ".join(parts)

    def point_after(self, done_hours: int | None) -> tuple[int, Point]:
        """The next point after the one done at ``done_hours`` (None: none done yet), and
        its index (past the last: every ``then_every_hours``)."""
        done = done_hours if done_hours is not None else -1
        for index, point in enumerate(self.points):
            if point.hours > done:
                return index, point
        last = self.points[-1]
        steps = max(1, (done - last.hours) // self.then_every_hours + 1)
        return len(self.points) - 1 + steps, Point(
            hours=last.hours + steps * self.then_every_hours,
            months=last.months + steps * self.then_every_months,
            days=last.days,
        )


@dataclass(frozen=True)
class Due:
    """When a vehicle's next maintenance falls due, and why."""

    hours: int  # the point (running hours)
    on: date  # the earlier of the two dates
    by_hours: bool  # the running hours come first (else the calendar)
    overdue: bool
    #: The vehicle's running hours are read (a machine); a car with only its mileage and
    #: purchase date is due by the calendar alone, and its "hours" mean nothing to anyone.
    hours_known: bool = True

    @property
    def point(self) -> str:
        """``600 h`` for a vehicle whose hours are read, else nothing (language-neutral)."""
        return f"{self.hours} h" if self.hours_known else ""

    def short(self) -> str:
        """``600 h · 2026-11-28 · hours`` (the archive's vehicle table)."""
        reason = _("hours") if self.by_hours else _("calendar")
        return " · ".join(p for p in (self.point, self.on.isoformat(), reason) if p)


def next_due(
    cycle: Cycle,
    *,
    purchase_date: date | None,
    running_hours: int | None,
    reading_on: date | None,
    maintained_hours: int | None,
    today: date,
) -> Due | None:
    """The next maintenance of a vehicle, or None without a purchase date or hours."""
    if purchase_date is None and running_hours is None:
        return None
    # The next point after the last one done. With no record of one, the points the running
    # hours or the calendar have passed are taken as done (their history is not known).
    done = maintained_hours
    if done is None:
        for _step in range(1000):  # bounded: a century of quarterly points
            _i, candidate = cycle.point_after(done)
            by_hours = running_hours is not None and candidate.hours <= running_hours
            by_date = purchase_date is not None and candidate.date_from(purchase_date) <= today
            if not (by_hours or by_date):
                break
            done = candidate.hours
    _index, point = cycle.point_after(done)
    dates: list[tuple[date, bool]] = []
    if purchase_date is not None:
        dates.append((point.date_from(purchase_date), False))
    if running_hours is not None:
        read = reading_on or today
        if running_hours >= point.hours:
            dates.append((read, True))
        elif purchase_date is not None and read > purchase_date and running_hours > 0:
            per_day = running_hours / (read - purchase_date).days
            days = (point.hours - running_hours) / per_day
            dates.append((read + timedelta(days=int(days)), True))
    if not dates:
        return None
    on, by_hours = min(dates, key=lambda item: (item[0], not item[1]))
    return Due(point.hours, on, by_hours, on < today, hours_known=running_hours is not None)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cycle_path(config_dir: Path | None = None) -> Path:
    """The site's file (``<config dir>/maintenance.toml``) if it has one, else the shipped."""
    if config_dir is not None:
        site = Path(config_dir) / "maintenance.toml"
        if site.is_file():
            return site
    return SHIPPED


def load_cycle(config_dir: Path | None = None) -> Cycle:
    path = cycle_path(config_dir)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CycleError(f"{path.name}: {exc}") from exc
    return parse_cycle(data, path.name)


def parse_cycle(data: dict[str, Any], file: str = "maintenance.toml") -> Cycle:
    def positive(where: str, value: Any, *, zero: bool = False) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < (0 if zero else 1):
            raise CycleError(f"{file}: {where}: must be a positive integer")
        return value

    raw_points = data.get("points")
    if not isinstance(raw_points, list) or not raw_points:
        raise CycleError(f"{file}: points: at least one [[points]] is needed")
    points: list[Point] = []
    for i, raw in enumerate(raw_points):
        where = f"points[{i}]"
        if not isinstance(raw, dict):
            raise CycleError(f"{file}: {where}: must be a table")
        hours = positive(f"{where}.hours", raw.get("hours"))
        days = positive(f"{where}.days", raw.get("days", 0), zero=True)
        months = positive(f"{where}.months", raw.get("months", 0), zero=True)
        if not days and not months:
            raise CycleError(f"{file}: {where}: needs days or months")
        if points and hours <= points[-1].hours:
            raise CycleError(f"{file}: {where}.hours: must grow from point to point")
        points.append(Point(hours, days, months))
    return Cycle(
        name=str(data.get("name", "mandatory")),
        title=str(data.get("title", "强制保养")),
        title_en=str(data.get("title_en", data.get("title", "Maintenance"))),
        points=tuple(points),
        remind_days=positive("remind_days", data.get("remind_days", 7), zero=True),
        then_every_hours=positive("then_every_hours", data.get("then_every_hours", 600)),
        then_every_months=positive("then_every_months", data.get("then_every_months", 3)),
    )


def site_cycle() -> Cycle:
    """The cycle the centre uses: ``<config dir>/maintenance.toml`` when the site has one,
    else the shipped one (seed 004's)."""
    from callcenter.settings import config_dir

    return load_cycle(config_dir())
