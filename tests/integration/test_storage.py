"""Storage details: versions, unique alerts, the change feed, SQLite write locking."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from callcenter import watch
from callcenter.domain import Alert, AlertKind
from callcenter.errors import ConcurrencyConflict
from storage.engine import make_engine
from storage.feed import PollingChangeFeed
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import FIXED_NOW
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
    """Every clock column as the sweep reads it, as to_micros; a saved case is due at once."""
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
        assert uow.watch.due(FIXED_NOW) == [expected]


def test_the_schedule_gives_only_the_cases_whose_time_has_come(container) -> None:
    services = container.services
    soon, later, never = (
        services.take_call(intake(plate=f"粤B1000{i}", phone=f"1381234567{i}")) for i in range(3)
    )
    closed = services.take_call(intake(plate="粤B10009", phone="13812345670"))
    services.cancel(closed.id, "test")
    at = {soon.id: FIXED_NOW + timedelta(minutes=5), later.id: FIXED_NOW + timedelta(hours=1)}
    at[never.id] = datetime(9999, 1, 1, tzinfo=UTC)
    with container.uow(write=False) as uow:
        assert {v.id for v in uow.watch.due(FIXED_NOW)} == {soon.id, later.id, never.id}
        versions = {v.id: v.version for v in uow.watch.due(FIXED_NOW)}
    with container.uow() as uow:
        uow.watch.schedule((i, versions[i], w) for i, w in at.items())
        uow.commit()
    with container.uow(write=False) as uow:
        assert uow.watch.due(FIXED_NOW) == []
        due = uow.watch.due(FIXED_NOW + timedelta(minutes=5))
        assert [(v.id, v.watch) for v in due] == [(soon.id, watch.to_micros(at[soon.id]))]
        assert {v.id for v in uow.watch.due(FIXED_NOW + timedelta(days=365))} == {
            soon.id,
            later.id,
        }
    with container.uow() as uow:  # any save: judged at once
        case = uow.cases.get(later.id)
        case.notes = "the owner called again"
        uow.cases.save(case)
        uow.commit()
    with container.uow(write=False) as uow:
        assert [v.id for v in uow.watch.due(FIXED_NOW)] == [later.id]
    with container.uow() as uow:  # a schedule judged on the version before that save
        uow.watch.schedule([(later.id, versions[later.id], at[later.id])])
        uow.commit()
    with container.uow(write=False) as uow:
        assert [v.id for v in uow.watch.due(FIXED_NOW)] == [later.id], "the save wins"
    with container.uow() as uow:
        assert uow.watch.adopt("other rules", at=FIXED_NOW, by="test") == 3
        uow.commit()
    with container.uow(write=False) as uow:
        assert uow.watch.rules() == "other rules"
        assert {v.id for v in uow.watch.due(FIXED_NOW)} == {soon.id, later.id, never.id}


def test_the_sweeps_read_is_of_its_index(container) -> None:
    """The open cases whose time has come, from ix_cases_watch: SQLite's planner takes it
    without statistics; PostgreSQL's can (it prefers reading a tiny table whole)."""
    sqlite = container.engine.dialect.name == "sqlite"
    with container.uow(write=False) as uow:
        if not sqlite:
            uow.session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
        sql = str(uow.watch._due_query(FIXED_NOW).compile(uow.session.get_bind()))
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        now = FIXED_NOW.replace(tzinfo=None).isoformat(" ")
        params = (now,) if sqlite else {"watch_at_1": FIXED_NOW}
        plan = uow.session.connection().exec_driver_sql(explain + sql, params).all()
    assert "ix_cases_watch" in " ".join(str(row[-1]) for row in plan)
