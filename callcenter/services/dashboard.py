"""The KPI dashboard (F10): a month's figures against the month before and the same month a
year before, its series per day, and the cases behind each figure.

Who reads it: every member of staff, on the desk and on the supervisor's read-only board.
Nothing on it is new to an operator — the rescue ledger (F4) shows every case's on-time
verdict, delay reason and feedback result to everyone, and the complaint desk (F6) the
complaints — and knowing the centre's own on-time rate helps the desk. It writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from callcenter.ports import UnitOfWork
from callcenter.services.base import ServiceBase

if TYPE_CHECKING:  # the arithmetic is imported when the dashboard is first opened
    from callcenter.reports.dashboard import (
        Behind,
        Dashboard,
        Headline,
        Month,
        MonthFacts,
        Period,
        Pick,
    )


class DashboardUseCases(ServiceBase):
    """The dashboard's reads, one read transaction each."""

    def current_month(self) -> Month:
        """The month of the clock's now, in the centre's zone."""
        from callcenter.reports.dashboard import Month

        return Month.of(self.clock.now(), self.tz)

    def dashboard(self, month: Month, *, compare: bool = True) -> Dashboard:
        """``month``'s figures and series; with ``compare``, the headlines of the month before
        and of the same month a year before where those have data (without, the screen paints
        the month first and asks :meth:`compared_headlines` next)."""
        from callcenter.reports.dashboard import dashboard

        def read(uow: UnitOfWork) -> Dashboard:
            shown = self._month_facts(uow, month)
            last = self._month_facts(uow, month.previous()) if compare else None
            year_ago = self._month_facts(uow, month.year_before()) if compare else None
            return dashboard(
                shown,
                self.tz,
                last=last,
                year_ago=year_ago,
                target_percent=_target_percent(),
            )

        return self._read(read)

    def compared_headlines(self, month: Month) -> dict[Period, Headline | None]:
        """The headlines of the month before ``month`` and of the same month a year before
        (None: that month has no data)."""
        from callcenter.reports.dashboard import Period, headline

        def read(uow: UnitOfWork) -> dict[Period, Headline | None]:
            out: dict[Period, Headline | None] = {}
            for period in (Period.LAST, Period.YEAR_AGO):
                facts = self._month_facts(uow, period.month(month))
                out[period] = None if facts.empty else headline(facts)
            return out

        return self._read(read)

    def dashboard_cases(self, pick: Pick) -> list[Behind]:
        """The cases behind ``pick``'s figure (the drill-down), found with the predicate that
        counted them: the worst first (late, slowest, dissatisfied)."""
        from callcenter.reports.dashboard import behind

        return self._read(lambda uow: behind(self._month_facts(uow, pick.month), pick, self.tz))

    def _month_facts(self, uow: UnitOfWork, month: Month) -> MonthFacts:
        from callcenter.reports.dashboard import MonthFacts

        start, end = month.start(self.tz), month.end(self.tz)
        reads = uow.dashboard
        return MonthFacts(
            month=month,
            cases=reads.case_facts(start, end),
            surveys=reads.survey_facts(start, end),
            complaints=reads.complaint_facts(start, end),
        )


def _target_percent() -> float | None:
    """The satisfaction rate the site's survey template asks for (None: it cannot be read)."""
    from callcenter.survey import TemplateError, site_template

    try:
        return site_template().target_percent
    except TemplateError:
        return None
