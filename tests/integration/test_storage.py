"""Storage details: versions, unique alerts, the change feed, SQLite write locking."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from callcenter.domain import Alert, AlertKind
from callcenter.errors import ConcurrencyConflict
from storage.engine import make_engine
from storage.feed import PollingChangeFeed
from storage.uow import SqlUnitOfWorkFactory
from tests.factories import intake


def test_saving_a_stale_case_raises_conflict(container) -> None:
    case = container.services.take_call(intake())
    with container.uow() as uow:
        a = uow.cases.get(case.id)
        a.notes = "first"
        uow.cases.save(a)
        uow.commit()
    with container.uow() as uow:
        b = uow.cases.get(case.id)
        b.version -= 1
        b.notes = "second"
        with pytest.raises(ConcurrencyConflict):
            uow.cases.save(b)


def test_alert_exists_once_per_case_kind_deadline(container) -> None:
    case = container.services.take_call(intake())
    now = container.clock.now()
    alert = Alert(case.id, AlertKind.ARRIVAL_LATE, case.promised_arrival_at, now)
    with container.uow() as uow:
        assert uow.alerts.add_if_absent(alert) is not None
        uow.commit()
    with container.uow() as uow:
        again = Alert(case.id, AlertKind.ARRIVAL_LATE, case.promised_arrival_at, now)
        assert uow.alerts.add_if_absent(again) is None
        later = Alert(
            case.id, AlertKind.ARRIVAL_LATE, case.promised_arrival_at + timedelta(minutes=15), now
        )
        assert uow.alerts.add_if_absent(later) is not None
        uow.commit()
    with container.uow(write=False) as uow:
        assert len(uow.alerts.for_case(case.id)) == 2


def test_change_feed_sees_another_sessions_commit(container, settings) -> None:
    other_engine = make_engine(settings.database_url)
    other = SqlUnitOfWorkFactory(other_engine, container.clock)
    feed = PollingChangeFeed(container.engine)
    try:
        assert feed.poll() == []
        case = container.services.take_call(intake())
        with other() as uow:
            c = uow.cases.get(case.id)
            c.notes = "changed elsewhere"
            uow.cases.save(c)
            uow.commit()
        changes = feed.poll()
        assert {(c.entity, c.entity_id) for c in changes} >= {("case", case.id)}
        assert feed.poll() == []
    finally:
        feed.close()
        other_engine.dispose()


def test_concurrent_read_then_write_transactions_wait_instead_of_failing(container) -> None:
    """Many threads each read then write; none fails with 'database is locked'."""
    errors: list[BaseException] = []
    case = container.services.take_call(intake())

    def worker(n: int) -> None:
        for _ in range(10):
            try:
                with container.uow() as uow:
                    c = uow.cases.get(case.id)
                    c.notes = f"{c.notes}{n}"
                    uow.cases.save(c)
                    uow.commit()
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(container.services.case(case.id).notes) == 40
