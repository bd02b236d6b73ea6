"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class TZDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; naive ones are refused (SQLAlchemy "TZDateTime")."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """:meth:`process_result_value` folded into one function with the driver's own
        conversion (the ledger's export reads a million of these): same values, fewer calls."""
        parse = self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)
        utc = UTC

        if parse is None:

            def process(value: Any) -> datetime | None:
                if value is None:
                    return None
                if value.tzinfo is None:
                    return value.replace(tzinfo=utc)
                return value.astimezone(utc)

            return process

        def parse_and_process(value: Any) -> datetime | None:
            if value is None:
                return None
            value = parse(value)
            if value is None:
                return None
            if value.tzinfo is None:
                return value.replace(tzinfo=utc)
            return value.astimezone(utc)

        if dialect.name != "sqlite":
            return parse_and_process
        from_text = datetime.fromisoformat

        def sqlite_process(value: Any) -> datetime | None:
            # SQLite keeps the naive UTC time as text: read it as UTC in one call.
            if value is None:
                return None
            try:
                return from_text(value + "+00:00")
            except (TypeError, ValueError):  # not text, or text with its own offset
                return parse_and_process(value)

        return sqlite_process
