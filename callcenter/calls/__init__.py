"""The generic outbound call desk: kinds of call as data, call tasks, attempts (pure).

See :mod:`callcenter.calls.model`; the registry is :mod:`callcenter.calls.kinds`; the
use-cases are :mod:`callcenter.services.calls`.
"""

from callcenter.calls.model import (
    CallAttempt,
    CallKind,
    CallTask,
    DeskItem,
    Outcome,
    ResultField,
    Subject,
    TaskState,
)

__all__ = [
    "CallAttempt",
    "CallKind",
    "CallTask",
    "DeskItem",
    "Outcome",
    "ResultField",
    "Subject",
    "TaskState",
]
