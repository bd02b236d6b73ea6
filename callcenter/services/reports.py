"""The monthly report (每月上报, issue 14 §1): read, figured, and the cases behind a figure.

Who may read it: supervisors and administrators (``Action.READ_REPORTS``), and their
read-only boards. Operators may not: the report names crew members with their complaints
and is management's; an operator sees each case where it is. A refusal is audited like every
other (the read-only board's goes to the application log only).

The month is a calendar month in the centre's time zone (settings), turned into UTC instants
for the reads; the response clock of each case is its policy's (``roadside``: 5 min), per
priority; the satisfaction target is the survey template's ``target_percent``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from callcenter import permissions, sla
from callcenter.errors import PermissionDenied
from callcenter.permissions import Action
from callcenter.ports import UnitOfWork
from callcenter.reports.monthly import (
    CaseFacts,
    CaseTally,
    ComplaintFacts,
    Month,
    MonthlyReport,
    cases_behind,
    is_figure_key,
    monthly_report,
    parse_month,
)
from callcenter.services.base import ServiceBase

log = logging.getLogger(__name__)


class ReportUseCases(ServiceBase):
    """The monthly report for a month, and the numbers behind each of its figures."""

    def may_read_reports(self) -> bool:
        """Whether this session may read the reports (for hiding keys; not the check)."""
        if self.staff is None:
            return True
        return self.staff.active and permissions.is_allowed(self.staff.role, Action.READ_REPORTS)

    def _may_read_reports(self) -> None:
        if self.read_only and self.staff is not None:
            if self.may_read_reports():
                return
            raise PermissionDenied(
                permissions.refusal(self.staff.display_name, self.staff.role, Action.READ_REPORTS)
            )
        if not self.read_only:
            self.require(Action.READ_REPORTS)

    def monthly_report(self, month: str | Month) -> MonthlyReport:
        """Every figure of ``month`` (``YYYY-MM`` or a :class:`Month`; a bad one raises
        ValidationError on the field ``month``)."""
        wanted = parse_month(month) if isinstance(month, str) else month
        self._may_read_reports()
        cases, complaints = self._read(lambda uow: self._tally(uow, wanted))
        return monthly_report(
            wanted,
            self.tz,
            cases,
            complaints,
            target_percent=self._target_percent(),
            generated_at=self.clock.now(),
        )

    def report_cases(self, month: str | Month, figure_key: str) -> list[str]:
        """The numbers behind the figure ``figure_key`` of ``month`` — case numbers, or
        complaint numbers for the complaint figures — oldest first (the drill-down). Keys:
        :data:`callcenter.reports.monthly.CASE_FIGURES`, ``COMPLAINT_FIGURES``, and
        ``delay:<reason>``, ``cancel:<reason>``, ``plan:<plan>``, ``category:<category>``,
        ``crew:<crew>`` as the report's tables name them. KeyError for another key."""
        wanted = parse_month(month) if isinstance(month, str) else month
        if not is_figure_key(figure_key):
            raise KeyError(figure_key)
        self._may_read_reports()
        cases, complaints = self._read(lambda uow: self._facts(uow, wanted))
        return cases_behind(figure_key, cases, complaints)

    def _tally(self, uow: UnitOfWork, month: Month) -> tuple[CaseTally, list[ComplaintFacts]]:
        start, end = month.bounds(self.tz)
        return (
            uow.reports.month_tally(start, end, self._response_clock),
            uow.reports.month_complaints(start, end),
        )

    def _facts(self, uow: UnitOfWork, month: Month) -> tuple[list[CaseFacts], list[ComplaintFacts]]:
        start, end = month.bounds(self.tz)
        return (
            uow.reports.month_cases(start, end, self._response_clock),
            uow.reports.month_complaints(start, end),
        )

    def _response_clock(self, policy: str, priority: str) -> int | None:
        """The response clock, in minutes, of ``policy`` (the session's when it is the same
        or cannot be loaded) for ``priority``."""
        from callcenter.domain.enums import Priority

        chosen = self.policy
        if policy and policy != self.policy.name:
            try:
                chosen = sla.load_policy(policy, _config_dir())
            except sla.PolicyError:
                log.warning("policy %r of a case cannot be loaded: %s used", policy, chosen.name)
        try:
            level = Priority(priority)
        except ValueError:
            level = Priority.GENERAL
        rule = chosen.rule(sla.ClockKind.RESPONSE, level)
        return rule.minutes if rule is not None else None

    @staticmethod
    def _target_percent() -> float:
        from callcenter.survey import site_template

        return site_template().target_percent


def _config_dir() -> Path:
    from callcenter.settings import config_dir

    return config_dir()
