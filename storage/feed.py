"""Change feeds: what other sessions committed, read without re-reading every row.

Every unit of work that changes something inserts one ``changes`` row per touched entity in
the same transaction (``storage.uow``). A feed hands a session the rows it has not seen yet.

SQLite (:class:`PollingChangeFeed`): ``PRAGMA data_version`` on a dedicated connection tells in
one cheap call whether any other connection committed; only then is the ``changes`` table
read past the last seen id. SQLite serialises writers, so ids commit in order. The session
polls every :data:`SQLITE_INTERVAL` seconds.

PostgreSQL (:class:`PgChangeFeed`): each committing transaction also sends
``pg_notify('callcenter_changes', '<lowest id>;<id>:<entity>:<entity_id>,...;<schema>')``,
delivered only if it commits (``storage.uow``). The feed holds one dedicated autocommit
connection listening on that channel; ``poll()`` asks the socket whether a notification came
and sends no SQL at all: the notification lists the changes. Only a transaction with too
many changes to list (past 7000 bytes) leaves the list empty, and the feed reads the table
from the lowest id it announced. Concurrent transactions may commit their ids out of order
(the one with the lower id last): each is delivered by its own notification, or read from its
own lowest id, de-duplicated against the ids already delivered, so none is lost.
``wait(timeout)`` blocks on the socket, so a change is seen a millisecond after its commit.

Both feeds survive an outage: a failure closes the connection and raises
:class:`DatabaseUnavailable`; the next attempts are spaced by a growing backoff (0.25 s up to
5 s) and the one that succeeds reconnects and carries on from the last seen id. Changes that
happened while the database was away may come late or (PostgreSQL, out of order) not at all,
so a session re-reads what it shows once the database is back.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from callcenter.domain import Change
from callcenter.errors import DatabaseUnavailable
from callcenter.i18n import _
from callcenter.ports import ChangeFeed
from storage.tables import ChangeRow
from storage.uow import CHANGES_CHANNEL, translate_db_error

#: How often a session looks at an SQLite database's ``data_version`` (seconds).
SQLITE_INTERVAL = 0.1
#: PostgreSQL: with no notification for this long, the feed sends ``SELECT 1`` to notice a
#: dead server or network (the socket alone would not tell).
HEARTBEAT_S = 15.0
#: PostgreSQL: how many delivered ids are remembered to drop re-read rows.
SEEN_WINDOW = 20_000
#: The feed's own connection: fail fast, and let the kernel notice a dead peer.
PG_FEED_CONNECT_ARGS: dict[str, Any] = {
    "connect_timeout": 3,
    "application_name": "callcenter-feed",
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 3,
    "keepalives_count": 3,
    "tcp_user_timeout": 15_000,
}

_COLUMNS = (ChangeRow.id, ChangeRow.entity, ChangeRow.entity_id)


def make_change_feed(engine: Engine) -> ChangeFeed:
    """The feed that suits ``engine``: LISTEN/NOTIFY on PostgreSQL, polling elsewhere."""
    if engine.dialect.name == "postgresql":
        return PgChangeFeed(engine)
    return PollingChangeFeed(engine)


def unavailable(exc: BaseException) -> DatabaseUnavailable:
    """``exc`` (a driver or SQLAlchemy error) as the domain's :class:`DatabaseUnavailable`."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    translated = translate_db_error(exc)
    if isinstance(translated, DatabaseUnavailable):
        return translated
    orig = getattr(exc, "orig", None) or exc
    detail = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return DatabaseUnavailable(_("The database cannot be reached: {error}").format(error=detail))


class Backoff:
    """Spaces reconnection attempts: 0.25 s, 0.5 s, 1 s, ... up to ``cap`` seconds."""

    def __init__(self, first: float = 0.25, cap: float = 5.0) -> None:
        self.first = first
        self.cap = cap
        self.error: DatabaseUnavailable | None = None
        self._delay = 0.0
        self._retry_at = 0.0

    def failed(self, error: DatabaseUnavailable) -> DatabaseUnavailable:
        self.error = error
        self._delay = min(self.cap, self._delay * 2 if self._delay else self.first)
        self._retry_at = time.monotonic() + self._delay
        return error

    def succeeded(self) -> None:
        self.error = None
        self._delay = 0.0

    def remaining(self) -> float:
        """Seconds before the next attempt is allowed (0 when not backing off)."""
        if self.error is None:
            return 0.0
        return max(0.0, self._retry_at - time.monotonic())

    def check(self) -> None:
        """Raise the last error while backing off, without touching the server."""
        if self.error is not None and self.remaining() > 0:
            raise self.error


def _sleep_through_backoff(backoff: Backoff, deadline: float) -> None:
    """Sleep until the backoff allows an attempt or ``deadline``; raise if still backing off."""
    delay = backoff.remaining()
    if delay <= 0:
        return
    time.sleep(max(0.0, min(delay, deadline - time.monotonic())))
    backoff.check()


def _data_version(conn: Connection) -> int:
    """``PRAGMA data_version`` through the driver's own connection, outside any transaction
    (the pooled SQLite connections are in autocommit; SQLAlchemy begins explicitly): ten
    times a second, SQLAlchemy's execute, BEGIN and ROLLBACK were most of an idle board's
    CPU that was not drawing."""
    raw: Any = conn.connection.driver_connection
    row = raw.execute("PRAGMA data_version").fetchone()
    return int(row[0])


class PollingChangeFeed:
    """The ``changes`` table read past the last seen id; on SQLite only when
    ``PRAGMA data_version`` says another connection committed."""

    def __init__(self, engine: Engine, *, interval: float = SQLITE_INTERVAL) -> None:
        self._engine = engine
        self.interval = interval
        self._conn: Connection | None = None
        self._data_version: int | None = None
        self._sqlite = engine.dialect.name == "sqlite"
        self._backoff = Backoff()
        try:
            conn = self._connection()
            if self._sqlite:
                self._data_version = conn.exec_driver_sql("PRAGMA data_version").scalar()
            self._last = conn.scalar(select(func.max(ChangeRow.id))) or 0
            conn.rollback()
        except DBAPIError as exc:
            self.close()
            raise unavailable(exc) from exc

    @property
    def last_seq(self) -> int:
        return self._last

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect()
            self._data_version = None
        return self._conn

    def poll(self) -> Sequence[Change]:
        self._backoff.check()
        try:
            conn = self._connection()
            if self._sqlite:
                version = _data_version(conn)
                if version == self._data_version:
                    self._backoff.succeeded()
                    return []
                self._data_version = version
            rows = conn.execute(
                select(*_COLUMNS).where(ChangeRow.id > self._last).order_by(ChangeRow.id)
            ).all()
            if not rows and self._sqlite:
                # The table was emptied (``demo --reset``): SQLite hands out ids from 1 again.
                newest = conn.scalar(select(func.max(ChangeRow.id))) or 0
                self._last = min(self._last, newest)
            conn.rollback()
        except (DBAPIError, sqlite3.Error) as exc:
            self.close()
            raise self._backoff.failed(unavailable(exc)) from exc
        self._backoff.succeeded()
        if rows:
            self._last = rows[-1][0]
        return [Change(seq=r[0], entity=r[1], entity_id=r[2]) for r in rows]

    def wait(self, timeout: float) -> Sequence[Change]:
        """Poll every :attr:`interval` seconds until something changed or ``timeout`` passed."""
        deadline = time.monotonic() + timeout
        while True:
            _sleep_through_backoff(self._backoff, deadline)
            changes = self.poll()
            remaining = deadline - time.monotonic()
            if changes or remaining <= 0:
                return changes
            time.sleep(min(self.interval, remaining))

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except DBAPIError:
                pass
            finally:
                self._conn = None


class PgChangeFeed:
    """PostgreSQL LISTEN/NOTIFY: the table is read only when a notification says so."""

    def __init__(self, engine: Engine, *, heartbeat: float = HEARTBEAT_S) -> None:
        #: The feed's own engine (one connection, no pool) on the same URL, in autocommit.
        self.engine = create_engine(
            engine.url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args=PG_FEED_CONNECT_ARGS,
        )
        self.heartbeat = heartbeat
        self.interval = 0.0  # it needs no polling: ``wait`` wakes on the notification
        self.schema = ""
        self._conn: Connection | None = None
        self._driver: Any = None  # the psycopg connection under ``_conn``
        self._last = 0
        self._seen: set[int] = set()
        self._read_from: int | None = None  # the lowest id announced and not read yet
        self._pending: dict[int, tuple[str, int]] = {}  # listed by notifications, not delivered
        self._last_io = 0.0
        self._backoff = Backoff()
        try:
            self._connect(first=True)
        except Exception as exc:
            if not is_db_error(exc):
                self.close()
                raise
            error = self._fail(exc)
            self.close()
            raise error from exc

    @property
    def last_seq(self) -> int:
        return self._last

    # -- connection -------------------------------------------------------------------------
    def _connect(self, *, first: bool = False) -> None:
        conn = self.engine.connect()
        self._conn = conn
        self._driver = conn.connection.driver_connection
        self.schema = conn.scalar(text("SELECT current_schema()")) or ""
        conn.exec_driver_sql(f"LISTEN {CHANGES_CHANNEL}")
        if first:
            # After LISTEN: a transaction committing from now on is announced, and the
            # ones before are in what the session reads at start.
            self._last = conn.scalar(select(func.max(ChangeRow.id))) or 0
        else:
            # Back after an outage: read whatever was committed meanwhile.
            self._announce(self._last + 1)
        conn.rollback()
        self._last_io = time.monotonic()

    def _fail(self, exc: BaseException) -> DatabaseUnavailable:
        self._drop()
        return self._backoff.failed(unavailable(exc))

    def _drop(self) -> None:
        conn, self._conn, self._driver = self._conn, None, None
        if conn is not None:
            try:
                conn.invalidate()
                conn.close()
            except Exception:  # the connection is dead already; nothing to tell
                pass

    # -- notifications ----------------------------------------------------------------------
    def _announce(self, low: int) -> None:
        self._read_from = low if self._read_from is None else min(self._read_from, low)

    def _take(self, notify: Any) -> None:
        """One notification: ``"<low>;<id>:<entity>:<entity_id>,...;<schema>"``."""
        low, _sep, rest = notify.payload.partition(";")
        items, sep, schema = rest.partition(";")
        if not sep or schema != self.schema:
            return  # another schema of the same database, or not a payload of ours
        try:
            if not items:  # too many changes to list: read the table from the lowest id
                self._announce(int(low))
                return
            for item in items.split(","):
                seq, entity, entity_id = item.split(":")
                self._pending[int(seq)] = (entity, int(entity_id))
        except ValueError:
            self._announce(self._last + 1)

    def _receive(self, timeout: float, stop_after: int | None = None) -> None:
        for notify in self._driver.notifies(timeout=timeout, stop_after=stop_after):
            self._take(notify)
            self._last_io = time.monotonic()

    def _has_news(self) -> bool:
        return self._read_from is not None or bool(self._pending)

    def _collect(self) -> list[Change]:
        """The changes announced, read from the table only when a notification did not list
        them; each id delivered once."""
        found, self._pending = self._pending, {}
        if self._read_from is not None:
            assert self._conn is not None
            low, self._read_from = self._read_from, None
            rows = self._conn.execute(
                select(*_COLUMNS).where(ChangeRow.id >= low).order_by(ChangeRow.id)
            ).all()
            self._conn.rollback()
            self._last_io = time.monotonic()
            found.update((r[0], (r[1], r[2])) for r in rows)
        fresh = sorted(seq for seq in found if seq not in self._seen)
        if not fresh:
            return []
        self._seen.update(fresh)
        self._last = max(self._last, fresh[-1])
        if len(self._seen) > SEEN_WINDOW:
            floor = self._last - SEEN_WINDOW // 2
            self._seen = {i for i in self._seen if i > floor}
        return [Change(seq=seq, entity=found[seq][0], entity_id=found[seq][1]) for seq in fresh]

    def _step(self, timeout: float) -> Sequence[Change]:
        self._backoff.check()
        try:
            if self._conn is None:
                self._connect()
            self._receive(0)
            if not self._has_news() and timeout > 0:
                self._receive(timeout, stop_after=1)
            if self._has_news():
                changes: Sequence[Change] = self._collect()
            else:
                if time.monotonic() - self._last_io >= self.heartbeat:
                    assert self._conn is not None
                    self._conn.exec_driver_sql("SELECT 1")
                    self._conn.rollback()
                    self._last_io = time.monotonic()
                changes = []
        except Exception as exc:
            # psycopg's own errors (from ``notifies``) and SQLAlchemy's alike.
            if is_db_error(exc):
                raise self._fail(exc) from exc
            raise
        self._backoff.succeeded()
        return changes

    def poll(self) -> Sequence[Change]:
        """New changes if a notification came; no SQL at all otherwise (but a heartbeat)."""
        return self._step(0)

    def wait(self, timeout: float) -> Sequence[Change]:
        """Block up to ``timeout`` seconds for a notification; the changes it announced."""
        deadline = time.monotonic() + timeout
        while True:
            _sleep_through_backoff(self._backoff, deadline)
            remaining = max(0.0, deadline - time.monotonic())
            changes = self._step(min(remaining, self.heartbeat))
            if changes or time.monotonic() >= deadline:
                return changes

    def close(self) -> None:
        self._drop()
        self.engine.dispose()


def is_db_error(exc: BaseException) -> bool:
    """An error of the database or its driver (SQLAlchemy's or psycopg's own)."""
    if isinstance(exc, DBAPIError):
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.Error)
