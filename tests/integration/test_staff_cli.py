"""``callcenter staff …``, ``db upgrade`` and the refusal of strangers, run as a user would.

Each command is a real subprocess; who runs it is ``CALLCENTER_USER`` (the test stand-in for
the OS login).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select

from callcenter import bootstrap
from storage.engine import make_engine
from storage.tables import AuditRow, StaffRow


def cli(url: str, user: str, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CALLCENTER_USER": user,
        "CALLCENTER_LANG": lang,
        "CALLCENTER_DATABASE_URL": url,
    }
    return subprocess.run(
        [sys.executable, "-m", "callcenter", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def staff_rows(url: str) -> dict[str, tuple[str, str, bool]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                r.username: (r.display_name, r.role, r.active)
                for r in conn.execute(select(StaffRow))
            }
    finally:
        engine.dispose()


def refusals(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [
                (r.actor, r.action)
                for r in conn.execute(
                    select(AuditRow).where(AuditRow.allowed.is_(False)).order_by(AuditRow.id)
                )
            ]
    finally:
        engine.dispose()


@pytest.fixture
def admin_url(migrated_url: str) -> str:
    """A database whose first user, ``boss``, became admin with a first ``staff`` command."""
    result = cli(migrated_url, "boss", "staff", "list")
    assert result.returncode == 0, result.stderr
    return migrated_url


def test_the_first_staff_command_makes_the_current_user_admin_and_says_so(
    migrated_url: str,
) -> None:
    result = cli(migrated_url, "boss", "staff", "list")
    assert result.returncode == 0, result.stderr
    notice, listed = result.stdout.strip().splitlines()
    assert "you (boss) are now its administrator" in notice
    assert listed.split() == ["boss", "Administrator", "active", "boss"]
    again = cli(migrated_url, "boss", "staff", "list")
    assert one_line(again.stdout).split()[:3] == ["boss", "Administrator", "active"]
    # In Chinese, the role and the state are Chinese too (not the role's code).
    chinese = cli(migrated_url, "boss", "staff", "list", lang="zh_CN")
    assert one_line(chinese.stdout).split()[:3] == ["boss", "管理员", "在职"]


def test_db_upgrade_on_a_new_database_makes_the_current_user_admin(database_url: str) -> None:
    result = cli(database_url, "boss", "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert "you (boss) are now its administrator" in result.stdout
    assert staff_rows(database_url) == {"boss": ("boss", "admin", True)}
    again = cli(database_url, "boss", "db", "upgrade")
    assert "administrator" not in again.stdout
    one_line(again.stdout)


def test_add_role_disable_print_one_line_each(admin_url: str) -> None:
    added = cli(admin_url, "boss", "staff", "add", "wangfang", "--name", "王芳")
    assert added.returncode == 0, added.stderr
    assert one_line(added.stdout) == "Added wangfang (王芳) as Operator."
    role = cli(admin_url, "boss", "staff", "role", "wangfang", "supervisor")
    assert one_line(role.stdout) == "wangfang is now Supervisor."
    listed = cli(admin_url, "boss", "staff", "list").stdout.strip().splitlines()
    assert [line.split() for line in listed] == [
        ["boss", "Administrator", "active", "boss"],
        ["wangfang", "Supervisor", "active", "王芳"],
    ]
    disabled = cli(admin_url, "boss", "staff", "disable", "wangfang")
    assert one_line(disabled.stdout).startswith("Disabled wangfang")
    assert staff_rows(admin_url)["wangfang"] == ("王芳", "supervisor", False)
    again = cli(
        admin_url, "boss", "staff", "add", "wangfang", "--name", "王芳", "--role", "operator"
    )
    assert again.returncode == 0 and staff_rows(admin_url)["wangfang"] == ("王芳", "operator", True)


def test_staff_commands_are_for_admins_only(admin_url: str) -> None:
    cli(admin_url, "boss", "staff", "add", "chenjun", "--name", "陈军", "--role", "supervisor")
    result = cli(admin_url, "chenjun", "staff", "add", "mallory", "--role", "admin")
    assert result.returncode == 4
    line = one_line(result.stderr)
    assert "陈军 (Supervisor) may not manage staff" in line and "Traceback" not in line
    assert "mallory" not in staff_rows(admin_url)
    assert ("chenjun", "manage_staff") in refusals(admin_url)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("staff", "role", "boss2", "king"), "Unknown role"),
        (("staff", "add", "bad name"), "not a login name"),
        (("staff", "disable", "ghost"), "ghost is not staff"),
        (("staff", "disable", "boss"), "last active administrator"),
        (("staff", "add", "boss"), "already staff"),
    ],
)
def test_mistakes_are_one_line_and_exit_non_zero(
    admin_url: str, args: tuple[str, ...], fragment: str
) -> None:
    result = cli(admin_url, "boss", *args)
    assert result.returncode == 2
    assert fragment in one_line(result.stderr)


@pytest.mark.parametrize("command", [(), ("run",), ("board",), ("staff", "list")])
def test_a_stranger_cannot_open_anything_one_line_who_to_ask(
    admin_url: str, command: tuple[str, ...]
) -> None:
    result = cli(admin_url, "bob", *command)
    assert result.returncode == 4
    line = one_line(result.stderr)
    assert line.startswith("callcenter: You are not on the staff of this call centre (user bob)")
    assert "callcenter staff add bob" in line
    assert result.stdout == ""


def test_the_refusal_is_in_chinese_by_default(admin_url: str) -> None:
    result = cli(admin_url, "bob", "run", lang="zh_CN")
    assert result.returncode == 4
    line = one_line(result.stderr)
    assert "你不是本呼叫中心的在册员工（用户 bob）：请管理员运行 callcenter staff add bob" in line


def test_a_disabled_member_cannot_open_the_application(admin_url: str) -> None:
    cli(admin_url, "boss", "staff", "add", "liuyang", "--name", "刘洋")
    cli(admin_url, "boss", "staff", "disable", "liuyang")
    result = cli(admin_url, "liuyang", "run")
    assert result.returncode == 4
    assert "disabled" in one_line(result.stderr)
    assert ("liuyang", "open_session") in refusals(admin_url)


def test_the_board_of_an_out_of_date_database_asks_for_an_upgrade(database_url: str) -> None:
    bootstrap.upgrade(database_url, "0001")
    result = cli(database_url, "boss", "board")
    assert result.returncode == 3
    assert "callcenter db upgrade" in one_line(result.stderr)
