"""Half-typed calls kept on disk, so that a closed terminal or a dropped SSH link loses nothing.

One JSON file per operator and session in the user's state directory: one operator in two
terminals keeps two half-typed calls, and both are offered back. A session holds a lock on its
draft while it runs (``flock``, released by the kernel when the process dies, however it
dies), so a new session offers exactly the drafts nobody is typing into (:meth:`orphans`).
Every write is atomic:
the data goes to a temporary file in the same directory, is flushed and fsynced, then
``os.replace``-d over the draft, and the directory is fsynced. A crash or a SIGHUP at any
moment leaves either the old draft or the new one, never half of one.

Pure Python: no Textual, no SQLAlchemy. Fast enough to be called from a signal handler.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]")


def _safe_user(user: str) -> str:
    safe = _UNSAFE.sub("_", user.strip()) or "operator"
    if safe.startswith("."):
        safe = "_" + safe[1:]
    return safe[:64]


def _file_name(user: str, session: str | None = None) -> str:
    """``draft-<user>.json`` (``draft-<user>~<session>.json`` for a session's own), with
    characters unsafe in a file name replaced (``~`` never survives in ``<user>``)."""
    safe = _safe_user(user)
    if session:
        return f"draft-{safe}~{_UNSAFE.sub('_', session)[:64]}.json"
    return f"draft-{safe}.json"


def new_session() -> str:
    """An id for this process's drafts: unique on the machine over time."""
    return f"{os.getpid()}-{time.time_ns() // 1_000_000}"


class DraftStore:
    """The draft of ``user``'s intake form in one session (``session`` None: the one draft
    of earlier versions), stored under ``directory``."""

    def __init__(self, directory: Path, user: str, session: str | None = None) -> None:
        self.directory = Path(directory)
        self.user = user
        self.session = session
        self.path = self.directory / _file_name(user, session)
        self._lock: int | None = None

    @property
    def _lock_path(self) -> Path:
        return self.directory / f".{self.path.stem}.lock"

    def hold(self) -> bool:
        """Mark this draft as in use for as long as this process lives (or :meth:`let_go`).
        False when the lock cannot be taken (another process holds it, or no directory)."""
        if self._lock is not None:
            return True
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            log.warning("cannot lock the draft %s: %s", self.path, exc)
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._lock = fd
        return True

    def let_go(self) -> None:
        if self._lock is None:
            return
        fd, self._lock = self._lock, None
        with contextlib.suppress(OSError):
            self._lock_path.unlink()
        os.close(fd)

    def in_use(self) -> bool:
        """Whether a live session (this one or another) holds this draft."""
        if self._lock is not None:
            return True
        if self.session is None:
            return False
        try:
            fd = os.open(self._lock_path, os.O_RDWR)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(fd)
        return False

    @classmethod
    def orphans(
        cls, directory: Path, user: str, *, besides: Path | None = None
    ) -> list[DraftStore]:
        """``user``'s drafts that no running session holds, oldest first (``besides``, this
        session's own, left out)."""
        directory = Path(directory)
        safe = _safe_user(user)
        found: list[DraftStore] = []
        try:
            paths = [directory / f"draft-{safe}.json", *directory.glob(f"draft-{safe}~*.json")]
        except OSError:
            return []
        for path in paths:
            if not path.is_file() or path == besides:
                continue
            session = path.stem.partition("~")[2] or None
            store = cls(directory, user, session)
            store.path = path  # as found (a session id is never rewritten)
            if not store.in_use():
                found.append(store)
        stamps = {id(s): s.saved_at() for s in found}
        return sorted(found, key=lambda s: stamps[id(s)] or datetime.min.replace(tzinfo=UTC))

    def __repr__(self) -> str:
        return f"DraftStore({str(self.path)!r})"

    def save(self, data: dict[str, Any]) -> None:
        """Replace the draft by ``data`` (JSON-serialisable), atomically and durably."""
        record = {
            "version": FORMAT_VERSION,
            "user": self.user,
            "saved_at": datetime.now(UTC).isoformat(),
            "data": data,
        }
        payload = json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8")
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=self._temp_prefix, suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as fh:  # mkstemp creates it 0600: drafts hold phone numbers
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        self._sync_directory()

    def load(self) -> dict[str, Any] | None:
        """The saved draft, or None if there is none (or it cannot be read)."""
        record = self._record()
        return record["data"] if record is not None else None

    def saved_at(self) -> datetime | None:
        """When the draft was last saved (aware UTC), or None if there is no draft."""
        record = self._record()
        if record is None:
            return None
        try:
            stamp = datetime.fromisoformat(record["saved_at"])
        except (KeyError, TypeError, ValueError):
            return None
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)

    def exists(self) -> bool:
        return self.path.is_file()

    def clear(self) -> None:
        """Forget the draft (the call was saved, or the operator discarded it)."""
        self._remove_stale_temps()
        try:
            self.path.unlink()
        except FileNotFoundError:
            return
        self._sync_directory()

    @property
    def _temp_prefix(self) -> str:
        return f".{self.path.name}."

    def _remove_stale_temps(self, older_than: float = 60.0) -> None:
        """Temporary files left by a process killed mid-write (never a live writer's)."""
        now = datetime.now(UTC).timestamp()
        try:
            leftovers = list(self.directory.glob(f"{self._temp_prefix}*.tmp"))
        except OSError:
            return
        for temp in leftovers:
            with contextlib.suppress(OSError):
                if now - temp.stat().st_mtime > older_than:
                    temp.unlink()

    def _record(self) -> dict[str, Any] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("cannot read the draft %s: %s", self.path, exc)
            return None
        try:
            record = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._quarantine(f"unreadable: {exc}")
            return None
        if (
            not isinstance(record, dict)
            or record.get("version") != FORMAT_VERSION
            or not isinstance(record.get("data"), dict)
        ):
            self._quarantine("not a draft of this version")
            return None
        return record

    def _quarantine(self, why: str) -> None:
        """Move a damaged draft aside (kept for a human to read), so it is not offered again."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = self.path.with_name(f"{self.path.name}.bad-{stamp}")
        log.warning("draft %s %s; moved to %s", self.path, why, target)
        with contextlib.suppress(OSError):
            os.replace(self.path, target)

    def _sync_directory(self) -> None:
        """fsync the directory so the rename itself survives a power cut (POSIX only)."""
        if not hasattr(os, "O_DIRECTORY"):
            return
        try:
            fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)
