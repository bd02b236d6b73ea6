"""pytest-alembic wiring (its standard tests run on every backend), and the pseudo-terminal
fixtures of the tests that run the real command (hang-up, interactive start)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

import storage
from storage.engine import make_engine
from tests.integration.pty_terminal import Terminal, terminal_env


@pytest.fixture
def alembic_config() -> dict[str, str]:
    return {"script_location": str(Path(storage.__file__).parent / "migrations")}


@pytest.fixture
def alembic_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment of an application run in a pseudo-terminal (see pty_terminal.py)."""
    return terminal_env(tmp_path)


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    """Every Terminal a test starts is appended here, and killed after the test."""
    started: list[Terminal] = []
    yield started
    for terminal in started:
        terminal.kill()
