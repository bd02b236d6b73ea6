"""Change feeds: what other sessions committed, read without re-reading every row.

SQLite: ``PRAGMA data_version`` on a dedicated connection tells in one cheap call whether any
other connection committed; only then is the ``changes`` table read past the last seen id.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Engine, func, select

from callcenter.domain import Change
from storage.tables import ChangeRow
from storage.uow import translate_db_error


class PollingChangeFeed:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._data_version: int | None = None
        self._sqlite = engine.dialect.name == "sqlite"
        with engine.connect() as conn:
            self._last = conn.scalar(select(func.max(ChangeRow.id))) or 0

    @property
    def last_seq(self) -> int:
        return self._last

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect()
            self._data_version = None
        return self._conn

    def poll(self) -> Sequence[Change]:
        conn = self._connection()
        try:
            if self._sqlite:
                version = conn.exec_driver_sql("PRAGMA data_version").scalar()
                conn.rollback()
                if version == self._data_version:
                    return []
                self._data_version = version
            rows = conn.execute(
                select(ChangeRow.id, ChangeRow.entity, ChangeRow.entity_id)
                .where(ChangeRow.id > self._last)
                .order_by(ChangeRow.id)
            ).all()
            conn.rollback()
        except Exception as exc:
            self.close()
            raise translate_db_error(exc) from exc
        if rows:
            self._last = rows[-1][0]
        return [Change(seq=r[0], entity=r[1], entity_id=r[2]) for r in rows]

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None
