"""Settings: command line, then environment, then the TOML config file, then defaults.

Every bad value raises :class:`SettingsError` naming the setting; the CLI prints it as one
line and exits 2. This module must stay cheap to import: ``callcenter --help`` uses it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Any

APP_NAME = "callcenter"
LANGUAGES = ("zh_CN", "en")


class SettingsError(Exception):
    """A setting is wrong; the message names it."""


def _dirs() -> Any:
    from platformdirs import PlatformDirs

    return PlatformDirs(APP_NAME, appauthor=False)


def config_dir() -> Path:
    override = os.environ.get("CALLCENTER_CONFIG_DIR")
    return Path(override) if override else Path(_dirs().user_config_dir)


def data_dir() -> Path:
    override = os.environ.get("CALLCENTER_DATA_DIR")
    return Path(override) if override else Path(_dirs().user_data_dir)


def state_dir() -> Path:
    override = os.environ.get("CALLCENTER_STATE_DIR")
    return Path(override) if override else Path(_dirs().user_state_dir)


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'callcenter.sqlite3'}"


def log_file() -> Path:
    return state_dir() / "callcenter.log"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    timezone: str = "Asia/Shanghai"
    language: str = "zh_CN"
    policy: str = "roadside"
    at_risk_minutes: int = 10
    sweep_seconds: int = 15
    renotify_minutes: int = 5
    average_speed_kmh: float = 40.0
    depot_lat: float = 22.5431  # Shenzhen Futian depot of the demo
    depot_lon: float = 114.0579
    bell: bool = True
    #: When the shifts begin, in the centre's zone (the shift-handover digest, 交接班).
    shift_starts: str = "08:00,20:00"
    user: str = ""  # who the session acts for: the OS login (or the test override)
    login: str = ""  # the real OS account running the process
    config_path: Path | None = None

    @property
    def is_default_database(self) -> bool:
        return self.database_url == default_database_url()

    @property
    def tz(self) -> Any:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)


_KEYS: dict[str, type] = {
    "database_url": str,
    "timezone": str,
    "language": str,
    "policy": str,
    "at_risk_minutes": int,
    "sweep_seconds": int,
    "renotify_minutes": int,
    "average_speed_kmh": float,
    "depot_lat": float,
    "depot_lon": float,
    "bell": bool,
    "shift_starts": str,
}

_ENV = {
    "CALLCENTER_DATABASE_URL": "database_url",
    "CALLCENTER_TIMEZONE": "timezone",
    "CALLCENTER_LANG": "language",
    "CALLCENTER_POLICY": "policy",
}


def _coerce(name: str, value: Any, source: str) -> Any:
    expected = _KEYS[name]
    if expected is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in (
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        ):
            return value.lower() in ("1", "true", "yes", "on")
        raise SettingsError(f"{source}: setting '{name}' must be true or false, not {value!r}")
    if expected is float and isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            pass
    if expected is int and isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return int(value)
        except ValueError:
            pass
    if expected is str and isinstance(value, str):
        return value
    raise SettingsError(f"{source}: setting '{name}' must be {expected.__name__}, not {value!r}")


def check_database_url(url: str) -> str:
    """Refuse, in one line, a database URL the application cannot use: another scheme or
    driver, a malformed host or port, SQLite in memory (every call lost at exit)."""
    from urllib.parse import urlsplit

    def bad(why: str) -> SettingsError:
        return SettingsError(f"setting 'database_url': {_redact(url)!r} {why}")

    scheme, sep, _rest = url.partition("://")
    if not sep:
        raise bad("is not a URL (sqlite:///PATH or postgresql+psycopg://USER@HOST/DB)")
    if scheme == "sqlite":
        path = url[len("sqlite://") :]
        if path in ("", "/", "/:memory:") or ":memory:" in path or "mode=memory" in path:
            raise bad("is an in-memory database: every call would be lost at exit")
        return url
    if scheme not in ("postgresql", "postgresql+psycopg"):
        raise bad("is neither sqlite:///PATH nor postgresql+psycopg://USER@HOST/DB")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number 0-65535
        parts.hostname  # noqa: B018 - raises ValueError for an unbalanced [IPv6
    except ValueError as exc:
        raise bad(f"has a malformed host or port ({exc})") from None
    if port is not None and port == 0:
        raise bad("has port 0")
    return url


def _redact(url: str) -> str:
    """``url`` without its password."""
    import re

    return re.sub(r"(://[^/:@]*:)[^/@]*@", r"\1***@", url)


def _validate(s: Settings) -> Settings:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"setting 'timezone': unknown time zone {s.timezone!r} (e.g. Asia/Shanghai)"
        ) from None
    if s.language not in LANGUAGES:
        raise SettingsError(
            f"setting 'language': {s.language!r} is not one of {', '.join(LANGUAGES)}"
        )
    check_database_url(s.database_url)
    parse_shift_starts(s.shift_starts)
    for name, low, high in (
        ("at_risk_minutes", 1, 240),
        ("sweep_seconds", 1, 3600),
        ("renotify_minutes", 1, 240),
        ("average_speed_kmh", 5, 200),
        ("depot_lat", -90, 90),
        ("depot_lon", -180, 180),
    ):
        value = getattr(s, name)
        if not low <= value <= high:  # NaN fails too
            raise SettingsError(f"setting '{name}': {value} is outside {low}–{high}")
    return s


def parse_shift_starts(text: str) -> tuple[time, ...]:
    """``"08:00,20:00"`` → the times of day the shifts begin, sorted; refuses anything else
    (an empty list, a time that is no time of day, one time twice) naming the setting."""
    found: list[time] = []
    for part in str(text).replace("，", ",").split(","):
        item = part.strip().replace("：", ":")
        hours, sep, minutes = item.partition(":")
        if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
            raise SettingsError(
                f"setting 'shift_starts': {item!r} is not a time HH:MM (e.g. \"08:00,20:00\")"
            )
        if not (int(hours) < 24 and int(minutes) < 60):
            raise SettingsError(f"setting 'shift_starts': {item!r} is not a time of day")
        at = time(int(hours), int(minutes))
        if at in found:
            raise SettingsError(f"setting 'shift_starts': {item} is given twice")
        found.append(at)
    if len(found) > 12:
        raise SettingsError("setting 'shift_starts': at most 12 shifts a day")
    return tuple(sorted(found))


def load(cli: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Settings from (highest first) ``cli``, ``environ``, the config file, defaults."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    path = (
        Path(environ.get("CALLCENTER_CONFIG", ""))
        if environ.get("CALLCENTER_CONFIG")
        else (config_dir() / "config.toml")
    )
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path}: not valid TOML ({exc})") from None
        except OSError as exc:  # a directory, no permission, ...
            raise SettingsError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        for key, value in data.items():
            if key not in _KEYS:
                raise SettingsError(f"{path}: unknown setting '{key}'")
            values[key] = _coerce(key, value, str(path))
    for var, key in _ENV.items():
        if environ.get(var):
            values[key] = _coerce(key, environ[var], var)
    for key, value in (cli or {}).items():
        if value is not None:
            values[key] = _coerce(key, value, f"--{key.replace('_', '-')}")
    login = os_login()
    # CALLCENTER_USER stands in for the login in tests and demos only: bootstrap.build
    # honours it only for the account that owns the database (and audits both names).
    user = environ.get("CALLCENTER_USER") or login
    settings = replace(Settings(), **values, user=user, login=login, config_path=path)
    return _validate(settings)


def os_login() -> str:
    """The real OS account of this process, from the password database by uid: never from
    ``LOGNAME``/``USER`` (which anyone can set), unlike ``getpass.getuser()``."""
    import os
    import pwd

    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid without a passwd entry (a bare container)
        return f"uid{uid}"
