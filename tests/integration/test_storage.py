"""Storage details: versions, unique alerts, the change feed, SQLite write locking."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.exc import DBAPIError

from callcenter import watch
from callcenter.domain import Alert, AlertKind
from callcenter.errors import ConcurrencyConflict
from storage import repository
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


@pytest.mark.parametrize("micro", [0, 1, 499_999, 998_999, 999_000, 999_499, 999_500, 999_999])
def test_the_sweeps_clock_view_is_exact_to_the_microsecond(container, micro: int) -> None:
    """Every clock column, read whole (the sweep's full read) or by ids, as to_micros."""
    case = container.services.take_call(intake())
    with container.uow() as uow:
        c = uow.cases.get(case.id)
        base = c.received_at.replace(microsecond=micro)
        c.received_at = base
        c.dispatched_at = base + timedelta(minutes=3, microseconds=1)
        c.arrived_at = base + timedelta(minutes=30)
        c.completed_at = base + timedelta(hours=1, seconds=59)
        c.feedback_at = base + timedelta(days=1)
        c.promised_arrival_at = base + timedelta(minutes=40)
        uow.cases.save(c)
        uow.commit()
    with container.uow(write=False) as uow:
        expected = watch.clock_view(uow.cases.get(case.id))
        assert uow.cases.open_clock_view() == [expected]
        assert uow.cases.open_clock_view([case.id]) == [expected]


def test_the_sweeps_full_read_is_of_one_index_on_sqlite(container) -> None:
    """ix_cases_open_clock holds all the sweep reads; SQLite's planner must take it."""
    if container.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads the index alone only once the table was vacuumed")
    with container.uow(write=False) as uow:
        uow.cases.open_clock_view()  # compiles the statement
        sql = repository._COMPILED[("sqlite", "pysqlite", "open_clock_view")]
        plan = uow.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
    assert [row[-1] for row in plan] == [
        "SEARCH cases USING COVERING INDEX ix_cases_open_clock (is_open=?)"
    ]


def test_a_driver_error_in_a_full_read_is_raised_as_sqlalchemy_raises_it(container) -> None:
    """The full reads skip SQLAlchemy's results, not its errors (translate_db_error)."""
    with container.uow(write=False) as uow:
        uow.session.connection().exec_driver_sql("DROP TABLE alerts")  # rolled back
        with pytest.raises(DBAPIError) as caught:
            uow.alerts.keys_of_open_cases()
    assert "alerts" in str(caught.value)
