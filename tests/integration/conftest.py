"""pytest-alembic wiring: its standard tests run on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

import storage
from storage.engine import make_engine


@pytest.fixture
def alembic_config() -> dict[str, str]:
    return {"script_location": str(Path(storage.__file__).parent / "migrations")}


@pytest.fixture
def alembic_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
