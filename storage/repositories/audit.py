"""The general audit log: :class:`callcenter.ports.AuditLog`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from callcenter.ports import AuditEntry, AuditQuery
from storage.tables import AuditRow


class SqlAuditLog:
    """The general audit log (append-only): every change and every refused action."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, entry: AuditEntry) -> AuditEntry:
        row = AuditRow(
            at=entry.at,
            actor=entry.actor[:64],
            action=entry.action[:48],
            entity=entry.entity[:16],
            entity_id=entry.entity_id,
            allowed=entry.allowed,
            details=entry.details,
        )
        self.session.add(row)
        self.session.flush()
        entry.id = row.id
        return entry

    def append_many(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        self.session.execute(
            insert(AuditRow),
            [
                {
                    "at": e.at,
                    "actor": e.actor[:64],
                    "action": e.action[:48],
                    "entity": e.entity[:16],
                    "entity_id": e.entity_id,
                    "allowed": e.allowed,
                    "details": e.details,
                }
                for e in entries
            ],
        )

    def recent(
        self, *, limit: int = 100, actor: str | None = None, allowed: bool | None = None
    ) -> list[AuditEntry]:
        query = select(AuditRow).order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        if allowed is not None:
            query = query.where(AuditRow.allowed.is_(allowed))
        return [_entry(r) for r in self.session.scalars(query)]

    def page(self, query: AuditQuery, limit: int = 100) -> list[AuditEntry]:
        a = AuditRow
        sql = select(a).order_by(a.at.desc(), a.id.desc()).limit(limit)
        if query.actor:
            sql = sql.where(a.actor == query.actor)
        if query.action:
            sql = sql.where(a.action == query.action)
        if query.since is not None:
            sql = sql.where(a.at >= query.since)
        if query.until is not None:
            sql = sql.where(a.at < query.until)
        if query.refused_only:
            sql = sql.where(a.allowed.is_(False))
        if query.before is not None:
            at, ident = query.before
            sql = sql.where(or_(a.at < at, and_(a.at == at, a.id < ident)))
        return [_entry(r) for r in self.session.scalars(sql)]


def _entry(r: AuditRow) -> AuditEntry:
    return AuditEntry(
        at=r.at,
        actor=r.actor,
        action=r.action,
        entity=r.entity,
        entity_id=r.entity_id,
        allowed=r.allowed,
        details=dict(r.details or {}),
        id=r.id,
    )
