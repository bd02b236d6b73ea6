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
    result = run_cli("--database-url", url, "db", "downgrade", "base", "--yes")
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1].startswith("empty")


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


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("depot_lat = 999", "setting 'depot_lat'"),
        ("depot_lon = -181", "setting 'depot_lon'"),
        ("depot_lat = nan", "setting 'depot_lat'"),
        ('database_url = "sqlite://"', "in-memory"),
        ('database_url = "sqlite:///:memory:"', "in-memory"),
    ],
)
def test_every_setting_has_a_range(tmp_path: Path, content: str, fragment: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content)
    with pytest.raises(SettingsError, match=fragment):
        settings_mod.load({}, environ={"CALLCENTER_CONFIG": str(config)})


def _bad_policy(tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "conf"
    (config / "policies").mkdir(parents=True)
    (config / "policies" / "huge.toml").write_text(
        'title = "huge"\n[clocks.response]\nminutes = 99999999999999999\n'
    )
    (config / "config.toml").write_text('policy = "huge"\n')
    return {"CALLCENTER_CONFIG": str(config / "config.toml")}


#: Each bad invocation of the issue's drill: (arguments, environment, exit code, fragment).
BAD_INVOCATIONS = [
    (["--database-url", "postgresql+psycopg://u@127.0.0.1:notaport/x"], {}, 2, "port"),
    (["--database-url", "postgresql+psycopg://[::1"], {}, 2, "host or port"),
    (["--database-url", "sqlitex:///x.db"], {}, 2, "neither sqlite"),
    (["--database-url", "postgresql+asyncpg://u@127.0.0.1/x"], {}, 2, "neither sqlite"),
    (["--database-url", "sqlite://"], {}, 2, "in-memory"),
    (["--database-url", "sqlite:////proc/nope/x.db"], {}, 3, "cannot be reached"),
    (["--lang", "fr", "db", "current"], {}, 2, "invalid choice: 'fr'"),
    (["watch", "--interval", "nan"], {}, 2, "--interval"),
    (["watch", "--interval", "inf"], {}, 2, "--interval"),
    (["watch", "--interval", "-3"], {}, 2, "--interval"),
    (["db", "downgrade", "9999"], {}, 2, "Unknown revision 9999"),
]


@pytest.mark.parametrize(("args", "env", "code", "fragment"), BAD_INVOCATIONS)
def test_bad_input_at_the_cli_is_one_line_never_a_traceback(
    tmp_path: Path, args: list[str], env: dict[str, str], code: int, fragment: str
) -> None:
    env = {
        "CALLCENTER_LANG": "en",
        "CALLCENTER_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-m", "callcenter", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in result.stderr
    assert result.returncode == code, result.stderr
    [line] = result.stderr.strip().splitlines()
    assert fragment in line


def test_a_config_file_that_is_a_directory_or_a_file_that_is_no_database(tmp_path: Path) -> None:
    (tmp_path / "config.toml").mkdir()
    result = run_cli("db", "current", env={"CALLCENTER_CONFIG": str(tmp_path / "config.toml")})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "cannot be read" in line
    junk = tmp_path / "junk.db"
    junk.write_text("hello, not a database\n" * 100)
    result = run_cli("--database-url", f"sqlite:///{junk}", "db", "current")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "not a database" in line


def test_a_policy_value_out_of_range_is_one_line(tmp_path: Path) -> None:
    result = run_cli(
        "--lang",
        "en",
        "--database-url",
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "watch",
        "--once",
        env=_bad_policy(tmp_path),
    )
    assert "Traceback" not in result.stderr
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert "minutes" in line and "a year" in line
