"""Half-typed calls kept on disk, so that a closed terminal or a dropped SSH link loses nothing.

One JSON file per operator in the user's state directory (several operators may share one
machine and one OS account, each under their own ``CALLCENTER_USER``). Every write is atomic:
the data goes to a temporary file in the same directory, is flushed and fsynced, then
``os.replace``-d over the draft, and the directory is fsynced. A crash or a SIGHUP at any
moment leaves either the old draft or the new one, never half of one.

Pure Python: no Textual, no SQLAlchemy. Fast enough to be called from a signal handler.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]")


def _file_name(user: str) -> str:
    """``draft-<user>.json`` with characters unsafe in a file name replaced."""
    safe = _UNSAFE.sub("_", user.strip()) or "operator"
    if safe.startswith("."):
        safe = "_" + safe[1:]
    return f"draft-{safe[:64]}.json"


class DraftStore:
    """The one draft of ``user``'s intake form, stored under ``directory``."""

    def __init__(self, directory: Path, user: str) -> None:
        self.directory = Path(directory)
        self.user = user
        self.path = self.directory / _file_name(user)

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
