"""Who the user is comes from the OS account, never from the environment (issue: security).

``CALLCENTER_USER`` stands in for the login in tests and demos, and only for the account that
owns the database; anyone else asking for it is refused, at the CLI in one line.
"""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from callcenter import bootstrap
from callcenter.services.staff import IdentityRefused
from callcenter.settings import Settings, load, os_login
from storage.engine import make_engine, owns_database
from tests.conftest import PG_URL

REAL_LOGIN = pwd.getpwuid(os.getuid()).pw_name


def test_the_login_is_the_os_account_whatever_logname_and_user_say(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOGNAME", "admin")
    monkeypatch.setenv("USER", "admin")
    monkeypatch.setenv("USERNAME", "admin")
    monkeypatch.delenv("CALLCENTER_USER", raising=False)
    assert os_login() == REAL_LOGIN
    settings = load(environ=dict(os.environ))
    assert settings.user == settings.login == REAL_LOGIN


def test_an_override_keeps_the_real_login_beside_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCENTER_USER", "wangfang")
    settings = load(environ=dict(os.environ))
    assert (settings.user, settings.login) == ("wangfang", REAL_LOGIN)


@pytest.fixture
def foreign_sqlite(tmp_path: Path) -> str:
    """A current SQLite database owned by another OS account (as a centre's shared file is
    owned by its service account); this process may still read and write it."""
    if os.getuid() != 0:
        pytest.skip("changing a file's owner needs root")
    path = tmp_path / "centre.sqlite3"
    url = f"sqlite:///{path}"
    bootstrap.upgrade(url)
    os.chown(path, 4321, os.getgid())
    return url


def test_the_override_is_refused_unless_this_account_owns_the_sqlite_file(
    foreign_sqlite: str,
) -> None:
    engine = make_engine(foreign_sqlite)
    try:
        assert not owns_database(engine)
    finally:
        engine.dispose()
    settings = Settings(database_url=foreign_sqlite, language="en", user="boss", login="mallory")
    with pytest.raises(IdentityRefused, match="honoured only for the account that owns"):
        bootstrap.build(settings)
    with pytest.raises(IdentityRefused):
        bootstrap.build(settings, read_only=True)
    # Acting as oneself is always allowed (here the first user becomes the administrator).
    own = bootstrap.build(
        Settings(database_url=foreign_sqlite, language="en", user="mallory", login="mallory")
    )
    assert own.services.actor == "mallory"
    own.close()


def test_the_cli_refuses_the_override_in_one_line(foreign_sqlite: str) -> None:
    """The drill: an operator sets CALLCENTER_USER to the administrator's login and tries to
    make himself admin."""
    os.chown(make_url(foreign_sqlite).database or "", 0, os.getgid())
    bootstrap.claim_first_admin(
        Settings(database_url=foreign_sqlite, language="en", user="boss", login=REAL_LOGIN)
    )
    os.chown(make_url(foreign_sqlite).database or "", 4321, os.getgid())
    env = {
        **os.environ,
        "CALLCENTER_USER": "boss",
        "LOGNAME": "boss",
        "USER": "boss",
        "CALLCENTER_LANG": "en",
        "CALLCENTER_DATABASE_URL": foreign_sqlite,
    }
    done = subprocess.run(
        [sys.executable, "-m", "callcenter", "staff", "add", "mallory", "--role", "admin"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"You are {REAL_LOGIN}" in lines[0] and "CALLCENTER_USER=boss" in lines[0]


@pytest.fixture
def pg_role() -> Iterator[tuple[str, str]]:
    """A schema migrated by the owner, and a login role of an operator that may use its
    tables but owns nothing: (owner's url, operator's url)."""
    if not PG_URL:
        pytest.skip("CALLCENTER_TEST_DATABASE_URL not set")
    from tests.conftest import drop_postgres_schema, fresh_postgres_url

    url = fresh_postgres_url()
    bootstrap.upgrade(url)
    schema = make_url(url).query["options"].split("=", 1)[1]
    role = f"op_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(
            text(f'GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        )
        conn.execute(text(f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"'))
    operator_url = make_url(url).set(username=role).render_as_string(hide_password=False)
    try:
        yield url, operator_url
    finally:
        drop_postgres_schema(url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.mark.postgres
def test_on_postgresql_only_the_owner_role_may_act_for_someone_else(
    pg_role: tuple[str, str],
) -> None:
    owner_url, operator_url = pg_role
    engine = make_engine(operator_url)
    try:
        assert not owns_database(engine)
    finally:
        engine.dispose()
    with pytest.raises(IdentityRefused):
        bootstrap.build(
            Settings(database_url=operator_url, language="en", user="boss", login="mallory")
        )
    engine = make_engine(owner_url)
    try:
        assert owns_database(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_read_only_board_runs_on_a_role_that_can_only_select(
    pg_role: tuple[str, str],
) -> None:
    """README "Deployment": the supervisors' board connects as a role granted SELECT only, so
    the database itself refuses any write, even after ``SET TRANSACTION READ WRITE``."""
    from sqlalchemy.exc import ProgrammingError

    from callcenter.clock import ManualClock
    from callcenter.domain import Role
    from callcenter.services.staff import StaffDirectory
    from tests.conftest import FIXED_NOW
    from tests.factories import add_crew, intake

    owner_url, _operator_url = pg_role
    owner = bootstrap.build(
        Settings(database_url=owner_url, language="en", user=REAL_LOGIN, login=REAL_LOGIN),
        clock=ManualClock(FIXED_NOW),
    )
    StaffDirectory(owner.services).add("chenjun", "陈军", Role.SUPERVISOR)
    add_crew(owner.services)
    owner.services.take_call(intake())
    owner.close()

    schema = make_url(owner_url).query["options"].split("=", 1)[1]
    board_role = f"board_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{board_role}" LOGIN'))
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{board_role}"'))
        conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{board_role}"'))
    board_url = make_url(owner_url).set(username=board_role).render_as_string(hide_password=False)
    try:
        board = bootstrap.build(
            Settings(database_url=board_url, language="en", user="chenjun", login="chenjun"),
            clock=ManualClock(FIXED_NOW),
            read_only=True,
        )
        try:
            services = board.services
            assert [c.caller_name for c in services.open_cases()]
            assert services.crews()
            services.arrivals_today()
            services.satisfaction(FIXED_NOW)
        finally:
            board.close()
        engine = make_engine(board_url)
        try:
            with (
                pytest.raises(ProgrammingError, match="permission denied"),
                engine.begin() as conn,
            ):
                conn.execute(text("SET TRANSACTION READ WRITE"))
                conn.execute(text("UPDATE cases SET caller_name = 'x'"))
        finally:
            engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{board_role}"'))
            conn.execute(text(f'DROP ROLE "{board_role}"'))
        admin.dispose()
