"""The change feed on SQLite (``PRAGMA data_version`` polling) and PostgreSQL (LISTEN/NOTIFY).

What another session commits reaches this session's feed; PostgreSQL delivers it without
reading the table while idle, loses no transaction that commits its lower ids last, keeps
schemas of one database apart and reconnects after losing its connection.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.domain import Crew, CrewStatus
from callcenter.errors import DatabaseUnavailable
from callcenter.settings import Settings
from storage.engine import make_engine
from storage.feed import PgChangeFeed, PollingChangeFeed
from storage.tables import ChangeRow
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory, prune_changes
from tests.conftest import PG_URL, drop_postgres_schema, fresh_postgres_url
from tests.factories import add_crew

pg_only = pytest.mark.skipif(not PG_URL, reason="CALLCENTER_TEST_DATABASE_URL not set")


def rename_crew(uow_factory: SqlUnitOfWorkFactory, crew_id: int, name: str) -> None:
    with uow_factory() as uow:
        crew = uow.crews.get(crew_id)
        assert crew is not None
        crew.name = name
        uow.crews.save(crew)
        uow.commit()


def statements(engine: Engine) -> list[str]:
    """Every SQL statement ``engine`` sends from now on (appended as they go)."""
    sent: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    return sent


def wait_for_changes(feed: Any, want: set[tuple[str, int]], timeout: float = 5.0) -> list[Any]:
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    while not want <= {(c.entity, c.entity_id) for c in got} and time.monotonic() < deadline:
        got.extend(feed.wait(0.2))
    return got


@pytest.fixture
def other(settings: Settings, clock: ManualClock) -> Iterator[SqlUnitOfWorkFactory]:
    """Units of work of another session: its own engine on the same database."""
    engine = make_engine(settings.database_url)
    yield SqlUnitOfWorkFactory(engine, clock)
    engine.dispose()


@pytest.fixture
def feed(container: bootstrap.Container) -> Iterator[Any]:
    feed = container.change_feed()
    yield feed
    feed.close()


def test_the_feed_suits_the_backend(container: bootstrap.Container, feed: Any) -> None:
    expected = PgChangeFeed if container.engine.dialect.name == "postgresql" else PollingChangeFeed
    assert type(feed) is expected


def test_a_change_committed_by_another_engine_reaches_the_feed(
    container: bootstrap.Container, other: SqlUnitOfWorkFactory, feed: Any
) -> None:
    assert feed.poll() == []
    crew = add_crew(container.services)
    assert crew.id is not None
    wait_for_changes(feed, {("crew", crew.id)})  # this session's own commit
    rename_crew(other, crew.id, "王强")
    changes = wait_for_changes(feed, {("crew", crew.id)})
    assert ("crew", crew.id) in {(c.entity, c.entity_id) for c in changes}
    assert [c.seq for c in changes] == sorted({c.seq for c in changes})  # each once, in order
    assert feed.poll() == []
    assert feed.wait(0.05) == []


def test_an_idle_feed_never_reads_the_changes_table(
    container: bootstrap.Container, other: SqlUnitOfWorkFactory, feed: Any
) -> None:
    """SQLite asks ``data_version`` only; PostgreSQL sends nothing at all while idle, and
    nothing either to deliver a change: the notification lists it."""
    engine = feed.engine if isinstance(feed, PgChangeFeed) else container.engine
    sent = statements(engine)
    for _ in range(50):
        assert feed.poll() == []
    assert not [s for s in sent if "changes" in s]
    if isinstance(feed, PgChangeFeed):
        assert sent == []
    crew = add_crew(container.services)
    assert crew.id is not None
    assert ("crew", crew.id) in {
        (c.entity, c.entity_id) for c in wait_for_changes(feed, {("crew", crew.id)})
    }
    if isinstance(feed, PgChangeFeed):
        assert sent == []
    else:
        assert [s for s in sent if "changes" in s]


@pg_only
@pytest.mark.postgres
def test_too_many_changes_to_list_are_read_from_the_table(
    pg_container: bootstrap.Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notification whose list would not fit says only where to read from."""
    monkeypatch.setattr("storage.uow.NOTIFY_ITEMS_MAX", 0)
    feed = pg_container.change_feed()
    assert isinstance(feed, PgChangeFeed)
    sent = statements(feed.engine)
    try:
        crews = [add_crew(pg_container.services, f"救援{n}组") for n in range(3)]
        want = {("crew", c.id or 0) for c in crews}
        changes = wait_for_changes(feed, want)
        assert {(c.entity, c.entity_id) for c in changes} == want
        assert [s for s in sent if "changes" in s]
        assert feed.wait(0.1) == []
    finally:
        feed.close()


def test_wait_returns_at_once_on_a_change_and_after_the_timeout_otherwise(
    container: bootstrap.Container, feed: Any
) -> None:
    started = time.monotonic()
    assert feed.wait(0.3) == []
    assert 0.25 <= time.monotonic() - started < 1.5
    crew = add_crew(container.services)
    started = time.monotonic()
    changes = feed.wait(5)
    assert ("crew", crew.id) in {(c.entity, c.entity_id) for c in changes}
    assert time.monotonic() - started < 1.0


def test_propagation_latency_is_well_under_a_second(
    container: bootstrap.Container, other: SqlUnitOfWorkFactory, feed: Any
) -> None:
    """Commit in one engine → delivered by this feed. Generous bound; the figures are in
    ``bench/propagation.py``."""
    crew = add_crew(container.services)
    assert crew.id is not None
    wait_for_changes(feed, {("crew", crew.id)})
    latencies = []
    for n in range(20):
        rename_crew(other, crew.id, f"李强{n}")
        committed = time.monotonic()
        assert wait_for_changes(feed, {("crew", crew.id)}, timeout=5)
        latencies.append(time.monotonic() - committed)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    assert p95 < 1.0, latencies


def test_pruning_keeps_a_day_and_the_newest_row(
    container: bootstrap.Container, clock: ManualClock, feed: Any
) -> None:
    crews = [add_crew(container.services, code=f"救援{n}组") for n in range(3)]
    wait_for_changes(feed, {("crew", c.id) for c in crews if c.id is not None})
    clock.advance(timedelta(days=2))
    container.uow._prune_due = lambda: True  # due now: pruned in the next write
    rename_crew(container.uow, crews[0].id or 0, "新名字")
    with container.engine.connect() as conn:
        rows = conn.execute(select(ChangeRow.id, ChangeRow.at)).all()
    assert len(rows) == 1 and rows[0].at == clock.now()
    # The feed carries on past the pruned rows.
    changes = wait_for_changes(feed, {("crew", crews[0].id or 0)})
    assert changes[-1].seq == rows[0].id
    # Only the newest row survives even when everything is old: ids never go back.
    clock.advance(timedelta(days=2))
    with container.uow() as uow:
        prune_changes(uow.session, clock.now())
        uow.commit()
    with container.engine.connect() as conn:
        assert conn.execute(select(ChangeRow.id)).scalars().all() == [rows[0].id]
    rename_crew(container.uow, crews[1].id or 0, "又一个名字")
    assert wait_for_changes(feed, {("crew", crews[1].id or 0)})


def test_sqlite_feed_on_an_unreachable_file_says_the_database_is_unavailable(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'callcenter.sqlite3'}")
    try:
        with pytest.raises(DatabaseUnavailable, match="cannot be reached"):
            PollingChangeFeed(engine)
    finally:
        engine.dispose()


# -- PostgreSQL only --------------------------------------------------------------------------


@pytest.fixture
def pg_container(clock: ManualClock) -> Iterator[bootstrap.Container]:
    if not PG_URL:
        pytest.skip("CALLCENTER_TEST_DATABASE_URL not set")
    url = fresh_postgres_url()
    bootstrap.upgrade(url)
    container = bootstrap.build(
        Settings(database_url=url, language="en", user="tester"), clock=clock
    )
    yield container
    container.close()
    drop_postgres_schema(url)


@pg_only
@pytest.mark.postgres
@pytest.mark.parametrize("listed", [True, False], ids=["listed", "read-from-table"])
def test_a_transaction_committing_its_lower_ids_last_is_not_lost(
    pg_container: bootstrap.Container,
    clock: ManualClock,
    listed: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not listed:
        monkeypatch.setattr("storage.uow.NOTIFY_ITEMS_MAX", 0)
    container = pg_container
    early, late = add_crew(container.services, "救援1组"), add_crew(container.services, "救援2组")
    assert early.id is not None and late.id is not None
    feed = container.change_feed()
    engine = make_engine(container.settings.database_url)
    other = SqlUnitOfWorkFactory(engine, clock)
    inserted, go = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        """Takes its change id first, commits last."""
        try:
            with container.uow() as uow:
                crew = uow.crews.get(early.id or 0)
                assert crew is not None
                crew.name = "慢"
                uow.crews.save(crew)
                real_commit = uow.session.commit

                def held_commit() -> None:
                    inserted.set()
                    assert go.wait(10)
                    real_commit()

                uow.session.commit = held_commit  # type: ignore[method-assign]
                uow.commit()
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    try:
        thread = threading.Thread(target=slow_writer)
        thread.start()
        assert inserted.wait(10)
        rename_crew(other, late.id, "快")
        first = wait_for_changes(feed, {("crew", late.id)})
        assert {(c.entity, c.entity_id) for c in first} == {("crew", late.id)}
        go.set()
        thread.join(10)
        assert not errors
        second = wait_for_changes(feed, {("crew", early.id)})
        assert {(c.entity, c.entity_id) for c in second} == {("crew", early.id)}
        assert second[0].seq < first[0].seq  # the lower id, delivered after the higher one
        assert feed.wait(0.1) == []  # and nothing twice
    finally:
        go.set()
        feed.close()
        engine.dispose()


@pg_only
@pytest.mark.postgres
def test_schemas_of_one_database_do_not_see_each_other(
    pg_container: bootstrap.Container, clock: ManualClock
) -> None:
    url_b = fresh_postgres_url()
    try:
        bootstrap.upgrade(url_b)
        b = bootstrap.build(Settings(database_url=url_b, language="en", user="tester"), clock=clock)
        feed_a, feed_b = pg_container.change_feed(), b.change_feed()
        assert isinstance(feed_a, PgChangeFeed) and isinstance(feed_b, PgChangeFeed)
        assert feed_a.schema != feed_b.schema
        sent_a = statements(feed_a.engine)
        try:
            crew_b = add_crew(b.services)
            assert wait_for_changes(feed_b, {("crew", crew_b.id or 0)})
            time.sleep(0.1)  # let B's notification reach A's socket too
            assert feed_a.poll() == [] and feed_a.wait(0.2) == []
            assert sent_a == []  # A was woken, looked at the payload, and read nothing
            crew_a = add_crew(pg_container.services)
            changes = wait_for_changes(feed_a, {("crew", crew_a.id or 0)})
            assert {(c.entity, c.entity_id) for c in changes} == {("crew", crew_a.id)}
            assert feed_b.wait(0.2) == []
        finally:
            feed_a.close()
            feed_b.close()
            b.close()
    finally:
        drop_postgres_schema(url_b)


@pg_only
@pytest.mark.postgres
def test_the_feed_reconnects_after_losing_its_connection(
    pg_container: bootstrap.Container,
) -> None:
    """The server ends the feed's session (as a restart would): it says so, backs off,
    reconnects and delivers what was committed meanwhile."""
    feed = pg_container.change_feed()
    assert isinstance(feed, PgChangeFeed)
    try:
        pid = feed._driver.info.backend_pid
        with pg_container.engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        crew = add_crew(pg_container.services)  # committed while the feed is cut off
        with pytest.raises(DatabaseUnavailable):
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                feed.wait(0.2)
        # Backing off: the next call fails at once without touching the server.
        with pytest.raises(DatabaseUnavailable):
            feed.poll()
        changes: list[Any] = []
        failures = 0
        deadline = time.monotonic() + 10
        while ("crew", crew.id) not in {(c.entity, c.entity_id) for c in changes}:
            assert time.monotonic() < deadline, failures
            try:
                changes.extend(feed.wait(0.2))
            except DatabaseUnavailable:  # still backing off
                failures += 1
        assert feed._driver.info.backend_pid != pid
        later = add_crew(pg_container.services, "救援9组")
        assert wait_for_changes(feed, {("crew", later.id or 0)}, timeout=2)
    finally:
        feed.close()


@pg_only
@pytest.mark.postgres
def test_a_rolled_back_transaction_notifies_nobody(pg_container: bootstrap.Container) -> None:
    feed = pg_container.change_feed()
    count = select(func.count()).select_from(ChangeRow)
    with pg_container.engine.connect() as conn:
        before = conn.scalar(count)
    try:
        with pg_container.uow() as uow:
            uow.crews.add(
                Crew(
                    code="X",
                    name="x",
                    phone="+8613900001111",
                    vehicle_plate="粤B1",
                    vehicle_kind="拖车",
                    status=CrewStatus.AVAILABLE,
                )
            )
            uow.session.flush()
            # No commit(): the change rows and the notification are never sent.
        assert feed.wait(0.3) == []
        with pg_container.engine.connect() as conn:
            assert conn.scalar(count) == before
    finally:
        feed.close()


def test_units_of_work_notify_only_on_postgresql(container: bootstrap.Container) -> None:
    uow = container.uow()
    assert isinstance(uow, SqlUnitOfWork)
    assert uow._notify is (container.engine.dialect.name == "postgresql")
