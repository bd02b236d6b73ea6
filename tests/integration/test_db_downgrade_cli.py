"""``callcenter db downgrade``: one clear line for a bad revision; a downgrade that drops data
says what it drops and wants ``--yes`` (no terminal to ask); SQLite is copied first."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.settings import Settings
from storage.engine import make_engine
from storage.tables import CaseRow
from tests.conftest import FIXED_NOW


def cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CALLCENTER_LANG": "en", "CALLCENTER_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "callcenter", "db", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def demo_url(migrated_url: str) -> str:
    container = bootstrap.build(
        Settings(database_url=migrated_url, language="en", user="tester"),
        clock=ManualClock(FIXED_NOW),
    )
    bootstrap.load_demo(container)
    container.close()
    return migrated_url


def cases(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(CaseRow)) or 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("revision", ["9999", "0007x", "head"])
def test_an_unknown_revision_is_one_line(migrated_url: str, revision: str) -> None:
    done = cli(migrated_url, "downgrade", revision)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "revision" in line


def test_a_downgrade_that_drops_data_says_what_and_wants_yes(demo_url: str) -> None:
    held = cases(demo_url)
    done = cli(demo_url, "downgrade", "base")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"cases ({held} rows)" in done.stdout and "audit_log" in done.stdout
    assert "--yes" in done.stderr.strip().splitlines()[-1]
    assert cases(demo_url) == held
    if demo_url.startswith("postgresql"):
        assert "pg_dump --format=custom" in done.stdout


def test_with_yes_sqlite_is_copied_first_then_downgraded(demo_url: str) -> None:
    if not demo_url.startswith("sqlite"):
        pytest.skip("the backup copy is SQLite's")
    held = cases(demo_url)
    done = cli(demo_url, "downgrade", "0001", "--yes")
    assert done.returncode == 0, done.stderr
    assert "0001 (head is" in done.stdout
    [copy] = Path(demo_url.split("///", 1)[1]).parent.glob("*.bak")
    assert str(copy) in done.stdout
    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == held
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] != "0001"
    assert cases(demo_url) == held  # 0001 keeps the cases


def test_a_downgrade_that_drops_nothing_runs_without_asking(migrated_url: str) -> None:
    done = cli(migrated_url, "downgrade", "0005")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("0005")
