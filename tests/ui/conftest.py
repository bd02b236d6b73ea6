"""UI fixtures: an application on a real SQLite file full of demo data, at a fixed clock."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.settings import Settings
from tests.conftest import FIXED_NOW

_TEMPLATE: dict[str, Path] = {}


def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database built once per test session and copied for each test."""
    if "db" not in _TEMPLATE:
        path = tmp_path_factory.mktemp("demo-template") / "demo.sqlite3"
        container = bootstrap.build(
            Settings(database_url=f"sqlite:///{path}", language="en", user="tester"),
            clock=ManualClock(FIXED_NOW),
        )
        bootstrap.load_demo(container, seed=7)
        with container.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        container.close()
        _TEMPLATE["db"] = path
    return _TEMPLATE["db"]


AppFactory = Callable[..., object]


@pytest.fixture
def demo_url(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    target = tmp_path / "callcenter.sqlite3"
    shutil.copy(demo_database(tmp_path_factory), target)
    return f"sqlite:///{target}"


@pytest.fixture
def make_app(demo_url: str) -> Iterator[AppFactory]:
    """``make_app(language="zh_CN", clock=None, url=None, user="tester", bell=False,
    config_dir=None)`` → (app, container); ``config_dir`` holds the site's ``policies/``.
    The SLA watch loop is off under ``run_test`` unless ``watch=True``."""
    containers: list[bootstrap.Container] = []

    def factory(
        language: str = "en",
        clock: ManualClock | None = None,
        url: str | None = None,
        user: str = "tester",
        bell: bool = False,
        config_dir: Path | None = None,
        **kwargs: object,
    ):
        settings = Settings(
            database_url=url or demo_url,
            language=language,
            user=user,
            bell=bell,
            config_path=config_dir / "config.toml" if config_dir is not None else None,
        )
        container = bootstrap.build(settings, clock=clock or ManualClock(FIXED_NOW))
        containers.append(container)
        return bootstrap.make_app(container, **kwargs), container

    yield factory
    for container in containers:
        container.close()
