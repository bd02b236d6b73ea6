"""Repositories: the ports of ``callcenter.ports`` on a SQLAlchemy session, one module per
aggregate."""

from storage.repositories.alerts import SqlAlertRepository
from storage.repositories.assignments import SqlAssignmentRepository
from storage.repositories.audit import SqlAuditLog
from storage.repositories.calls import SqlCallTaskRepository
from storage.repositories.cases import SqlCaseRepository
from storage.repositories.complaints import (
    SqlComplaintAlertRepository,
    SqlComplaintRepository,
    SqlEscalationRepository,
)
from storage.repositories.crews import SqlCrewRepository
from storage.repositories.customers import SqlCustomerRepository
from storage.repositories.events import SqlEventLog
from storage.repositories.handover import SqlHandoverRepository
from storage.repositories.records import (
    SqlLedgerRepository,
    SqlServiceRecordRepository,
    SqlSurveyRepository,
)
from storage.repositories.reports import SqlReportRepository
from storage.repositories.staff import SqlStaffRepository
from storage.repositories.watch import SqlWatchRepository

__all__ = [
    "SqlAlertRepository",
    "SqlAssignmentRepository",
    "SqlAuditLog",
    "SqlCallTaskRepository",
    "SqlCaseRepository",
    "SqlComplaintAlertRepository",
    "SqlComplaintRepository",
    "SqlCrewRepository",
    "SqlCustomerRepository",
    "SqlEscalationRepository",
    "SqlEventLog",
    "SqlHandoverRepository",
    "SqlLedgerRepository",
    "SqlReportRepository",
    "SqlServiceRecordRepository",
    "SqlStaffRepository",
    "SqlSurveyRepository",
    "SqlWatchRepository",
]
