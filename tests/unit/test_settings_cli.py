"""Settings precedence and the CLI's one-line failures, run as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter import settings as settings_mod
from callcenter.settings import SettingsError


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


def test_defaults_use_sqlite_in_the_data_dir() -> None:
    s = settings_mod.load({}, environ={})
    assert s.database_url.startswith("sqlite:///")
    assert s.database_url.endswith("callcenter.sqlite3")
    assert (s.timezone, s.language, s.policy) == ("Asia/Shanghai", "zh_CN", "roadside")


def test_cli_beats_environment_beats_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('language = "en"\ntimezone = "Europe/Berlin"\npolicy = "priority"\n')
    env = {"CALLCENTER_CONFIG": str(config), "CALLCENTER_TIMEZONE": "Asia/Tokyo"}
    s = settings_mod.load({"policy": "field-service"}, environ=env)
    assert (s.language, s.timezone, s.policy) == ("en", "Asia/Tokyo", "field-service")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('language = "fr"', "setting 'language'"),
        ('timezone = "Mars/Base"', "setting 'timezone'"),
        ("sweep_seconds = 0", "setting 'sweep_seconds'"),
        ('colour = "red"', "unknown setting 'colour'"),
        ("at_risk_minutes = 'ten'", "setting 'at_risk_minutes'"),
        ("this is not toml", "not valid TOML"),
        ('database_url = "mysql://x"', "setting 'database_url'"),
    ],
)
def test_bad_settings_name_the_setting(tmp_path: Path, content: str, fragment: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content)
    with pytest.raises(SettingsError, match=fragment):
        settings_mod.load({}, environ={"CALLCENTER_CONFIG": str(config)})


def test_bad_setting_is_one_line_exit_2() -> None:
    result = run_cli("--timezone", "Nowhere/City", "db", "current")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "timezone" in result.stderr and "Traceback" not in result.stderr


def test_unreachable_database_is_one_line_no_traceback() -> None:
    result = run_cli("--lang", "en", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/x")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "cannot be reached" in result.stderr


def test_help_names_the_log_file_and_loads_no_ui_or_orm() -> None:
    code = (
        "import sys\n"
        "from callcenter.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('textual', 'sqlalchemy', 'alembic') if m in sys.modules]\n"
        "print('LOADED', bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert "LOADED []" in result.stdout
    assert "callcenter.log" in result.stdout


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("callcenter ")


def test_db_commands_upgrade_current_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    result = run_cli("--database-url", url, "db", "current")
    assert result.returncode == 0 and result.stdout.startswith("empty")
    result = run_cli("--database-url", url, "db", "upgrade")
    assert result.returncode == 0 and "up to date" in result.stdout
    result = run_cli("--database-url", url, "db", "downgrade", "base")
    assert result.returncode == 0 and result.stdout.startswith("empty")


def test_out_of_date_postgres_schema_refuses_to_start() -> None:
    from tests.conftest import PG_URL, drop_postgres_schema, fresh_postgres_url

    if not PG_URL:
        pytest.skip("CALLCENTER_TEST_DATABASE_URL not set")
    url = fresh_postgres_url()
    try:
        result = run_cli("--database-url", url)
        assert result.returncode == 3
        assert "callcenter db upgrade" in result.stderr
        assert result.stderr.strip().count("\n") == 0
    finally:
        drop_postgres_schema(url)
