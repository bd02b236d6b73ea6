"""The draft store on a real file system: atomic, durable, one file per operator."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from callcenter.drafts import DraftStore

CALL = {
    "caller_name": "张伟",
    "phone": "138 1234 5678",
    "plate": "粤B12345",
    "fault_description": "车辆无法启动\n仪表盘全黑",
    "fee_agreed": True,
    "customer_id": None,
}


def test_save_then_load_gives_the_same_call(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "drafts", "alice")
    assert store.load() is None
    assert store.saved_at() is None
    store.save(CALL)
    assert store.load() == CALL
    assert store.exists()
    stamp = store.saved_at()
    assert stamp is not None and stamp.tzinfo is UTC
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    raw = store.path.read_text(encoding="utf-8")
    assert "张伟" in raw  # readable by a human who has to rescue it by hand


def test_a_new_save_replaces_the_old(tmp_path: Path) -> None:
    store = DraftStore(tmp_path, "alice")
    store.save(CALL)
    store.save({**CALL, "caller_name": "李娜"})
    assert store.load() == {**CALL, "caller_name": "李娜"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draft-alice.json"]


def test_clear_forgets_the_draft_and_is_idempotent(tmp_path: Path) -> None:
    store = DraftStore(tmp_path, "alice")
    store.save(CALL)
    store.clear()
    assert store.load() is None
    assert not store.exists()
    store.clear()


def test_each_operator_has_their_own_draft(tmp_path: Path) -> None:
    alice = DraftStore(tmp_path, "alice")
    bob = DraftStore(tmp_path, "bob")
    alice.save(CALL)
    assert bob.load() is None
    bob.save({**CALL, "caller_name": "李娜"})
    alice.clear()
    assert bob.load() == {**CALL, "caller_name": "李娜"}
    assert alice.path != bob.path


@pytest.mark.parametrize(
    ("user", "name"),
    [
        ("alice", "draft-alice.json"),
        ("../../etc/passwd", "draft-_._.._etc_passwd.json"),
        (".hidden", "draft-_hidden.json"),
        ("", "draft-operator.json"),
        ("值班员 1", "draft-____1.json"),
        ("DOMAIN\\op", "draft-DOMAIN_op.json"),
    ],
)
def test_the_user_name_cannot_escape_the_directory(tmp_path: Path, user: str, name: str) -> None:
    store = DraftStore(tmp_path, user)
    assert store.path == tmp_path / name
    store.save(CALL)
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_the_draft_is_private_to_the_os_user(tmp_path: Path) -> None:
    store = DraftStore(tmp_path, "alice")
    store.save(CALL)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_the_directory_is_created(tmp_path: Path) -> None:
    store = DraftStore(tmp_path / "state" / "drafts", "alice")
    store.save(CALL)
    assert store.load() == CALL


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b"\xff\xfe", b"[1, 2]", b'{"version": 99, "data": {}}', b'{"version": 1}'],
    ids=["empty", "truncated", "binary", "list", "future-version", "no-data"],
)
def test_a_damaged_draft_is_set_aside_not_offered(tmp_path: Path, content: bytes) -> None:
    store = DraftStore(tmp_path, "alice")
    store.path.write_bytes(content)
    assert store.load() is None
    assert not store.exists()
    [kept] = list(tmp_path.glob("draft-alice.json.bad-*"))
    assert kept.read_bytes() == content
    store.save(CALL)
    assert store.load() == CALL


def test_a_failed_write_leaves_the_old_draft_and_no_litter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DraftStore(tmp_path, "alice")
    store.save(CALL)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        store.save({**CALL, "caller_name": "李娜"})
    monkeypatch.undo()
    assert store.load() == CALL
    assert [p.name for p in tmp_path.iterdir()] == ["draft-alice.json"]


def test_a_value_that_is_not_json_fails_before_touching_the_draft(tmp_path: Path) -> None:
    store = DraftStore(tmp_path, "alice")
    store.save(CALL)
    with pytest.raises(TypeError):
        store.save({"when": datetime.now(UTC)})
    assert store.load() == CALL
    assert [p.name for p in tmp_path.iterdir()] == ["draft-alice.json"]


def test_concurrent_saves_never_leave_a_torn_file(tmp_path: Path) -> None:
    """Writers racing (the debounce timer and the hang-up handler): every read is whole."""
    store = DraftStore(tmp_path, "alice")
    store.save(CALL)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            try:
                store.save({**CALL, "notes": f"{n}-{i}" * 200})
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(300):
            data = json.loads(store.path.read_text(encoding="utf-8"))
            assert data["data"]["caller_name"] == "张伟"
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert [p.name for p in tmp_path.iterdir()] == ["draft-alice.json"]


def test_a_process_killed_while_saving_leaves_a_whole_draft(tmp_path: Path) -> None:
    """SIGKILL in the middle of a stream of saves: the draft on disk is still readable."""
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from callcenter.drafts import DraftStore
        store = DraftStore(Path({str(tmp_path)!r}), "alice")
        i = 0
        while True:
            store.save({{"caller_name": "张伟", "notes": str(i) * 5000}})
            if i == 5:
                print("saving", flush=True)
            i += 1
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "saving"
    finally:
        proc.kill()
        proc.wait(timeout=10)
    store = DraftStore(tmp_path, "alice")
    data = store.load()
    assert data is not None and data["caller_name"] == "张伟"
    assert data["notes"].isdigit() and len(data["notes"]) % 5000 == 0
    # A temporary file the killed writer left behind is swept once it is stale.
    for temp in tmp_path.glob(".draft-alice.json.*.tmp"):
        os.utime(temp, (0, 0))
    store.clear()
    assert list(tmp_path.iterdir()) == []


def test_a_running_sessions_draft_is_never_offered_elsewhere(tmp_path: Path) -> None:
    """The lock lives as long as the process: another process holding a session's draft
    keeps it out of the orphans; once it is gone (however it died), the draft is offered."""
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from callcenter.drafts import DraftStore\n"
            f"s = DraftStore({str(tmp_path)!r}, 'alice', 'other-1')\n"
            "assert s.hold()\n"
            "s.save({'caller_name': '张伟'})\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        mine = DraftStore(tmp_path, "alice", "mine-2")
        assert mine.hold()
        mine.save({"caller_name": "李娜"})
        assert DraftStore.orphans(tmp_path, "alice", besides=mine.path) == []
        assert DraftStore(tmp_path, "alice", "other-1").in_use()
    finally:
        holder.kill()
        holder.wait()
    [orphan] = DraftStore.orphans(tmp_path, "alice", besides=mine.path)
    assert orphan.load() == {"caller_name": "张伟"}
    assert DraftStore.orphans(tmp_path, "bob") == []
    legacy = DraftStore(tmp_path, "alice")  # an earlier version's one draft is offered too
    legacy.save({"caller_name": "王五"})
    mine.let_go()
    names = [s.load()["caller_name"] for s in DraftStore.orphans(tmp_path, "alice")]
    assert names == ["张伟", "李娜", "王五"]  # oldest first
