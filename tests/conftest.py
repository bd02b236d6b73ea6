"""Shared fixtures: real databases (SQLite always, PostgreSQL when configured), fixed clocks."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.i18n import set_language
from callcenter.settings import Settings

PG_URL = os.environ.get("CALLCENTER_TEST_DATABASE_URL", "")
# 2026-11-22 22:30 in Shanghai: the night shift.
FIXED_NOW = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not PG_URL, reason="CALLCENTER_TEST_DATABASE_URL not set"),
        ],
    ),
]


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never touch the real user config/data/state directories."""
    base = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("CALLCENTER_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("CALLCENTER_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("CALLCENTER_STATE_DIR", str(base / "state"))
    monkeypatch.delenv("CALLCENTER_DATABASE_URL", raising=False)
    monkeypatch.setenv("CALLCENTER_USER", "tester")
    set_language("en")
    yield
    set_language("en")


def fresh_postgres_url() -> str:
    """A new, empty schema in the test database, used through the search_path."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = make_url(PG_URL)
    query = dict(url.query)
    query["options"] = f"-csearch_path={schema}"
    return url.set(query=query).render_as_string(hide_password=False)


def drop_postgres_schema(url: str) -> None:
    schema = make_url(url).query["options"].split("=", 1)[1]
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no schema yet) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'callcenter.sqlite3'}"
        return
    url = fresh_postgres_url()
    yield url
    drop_postgres_schema(url)


_MIGRATED: dict[str, Path] = {}


def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file upgraded to head once per test session (per xdist worker), copied for
    each test that wants a migrated database: the 14 migrations take 0.2–0.3 s each time.
    The migrations themselves are run for real by the migration tests (``database_url``)."""
    if "db" not in _MIGRATED:
        path = tmp_path_factory.mktemp("migrated-template") / "migrated.sqlite3"
        bootstrap.upgrade(f"sqlite:///{path}")
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        _MIGRATED["db"] = path
    return _MIGRATED["db"]


@pytest.fixture
def migrated_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if database_url.startswith("sqlite:///"):
        shutil.copyfile(migrated_sqlite(tmp_path_factory), database_url.split("///", 1)[1])
        return database_url
    bootstrap.upgrade(database_url)
    return database_url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(FIXED_NOW)


@pytest.fixture
def settings(migrated_url: str) -> Settings:
    return Settings(database_url=migrated_url, language="en", user="tester")


@pytest.fixture
def container(settings: Settings, clock: ManualClock) -> Iterator[bootstrap.Container]:
    container = bootstrap.build(settings, clock=clock)
    yield container
    container.close()
