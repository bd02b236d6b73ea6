"""Text is data, never terminal control (issue: security, point 2).

Every text field refuses control and invisible characters at the service boundary with a field
error (the CLI in one line); what an older version stored anyway is shown as visible symbols,
and the bytes the application writes to a real terminal hold none of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import update

from callcenter import bootstrap
from callcenter.clock import SystemClock
from callcenter.domain import Role
from callcenter.errors import ValidationError, ValidationErrors
from callcenter.services import Checklist, Services
from callcenter.services.staff import StaffDirectory
from callcenter.settings import Settings
from callcenter.text import visible
from storage.engine import make_engine
from storage.tables import CaseEventRow, CaseRow, StaffRow
from tests.factories import add_crew, intake, record_input
from tests.integration.pty_terminal import Terminal

#: What the drills stored: a title change and a screen wipe, NUL, C1 (NEL, CSI), a bidi
#: override and a zero-width space.
HOSTILE = [
    "\x1b]0;PWNED\x07名",
    "\x1b[2J名",
    "名\x00字",
    "名\x85字",
    "名\x9b31m字",
    "名\u202e字",
    "名\u200b字",
]


def fields_of(exc: BaseException) -> set[str]:
    if isinstance(exc, ValidationErrors):
        return {e.field for e in exc.errors}
    assert isinstance(exc, ValidationError)
    return {exc.field}


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize(
    "field", ["caller_name", "address", "fault_description", "vehicle_model", "notes"]
)
def test_intake_refuses_it_on_the_field(container, field: str, text: str) -> None:
    with pytest.raises((ValidationError, ValidationErrors)) as caught:
        container.services.take_call(intake(**{field: text}))
    assert field in fields_of(caught.value)


@pytest.mark.parametrize("text", HOSTILE)
def test_every_other_service_refuses_it(container, text: str) -> None:
    services: Services = container.services
    case = services.take_call(intake())
    with pytest.raises(ValidationError) as caught:
        services.cancel(case.id, text, case.version)
    assert caught.value.field == "cancel_reason"
    with pytest.raises(ValidationError) as caught:
        StaffDirectory(services).add("evil", text, Role.OPERATOR)
    assert caught.value.field == "display_name"
    crew = add_crew(services)
    services.dispatch(case.id, crew.id)
    services.arrive(case.id, Checklist(True, True, True))
    with pytest.raises((ValidationError, ValidationErrors)) as caught:
        services.save_record(case.id, record_input(services, cause=text))
    assert "cause" in fields_of(caught.value)


@pytest.mark.parametrize("text", HOSTILE)
def test_the_storage_layer_refuses_what_a_service_forgot(container, text: str) -> None:
    """The last check before any SQL: the column is named, nothing is written."""
    services: Services = container.services
    case = services.take_call(intake())
    with pytest.raises(ValidationError) as caught, services.uow() as uow:
        stored = uow.cases.get(case.id)
        stored.vehicle_model = text
        uow.cases.save(stored)
        uow.commit()
    assert caught.value.field == "vehicle_model"
    assert services.case(case.id).vehicle_model == "丰田卡罗拉"


def test_the_storage_layer_checks_each_columns_length_on_both_databases(container) -> None:
    services: Services = container.services
    case = services.take_call(intake())
    with pytest.raises(ValidationError, match="at most 100") as caught, services.uow() as uow:
        stored = uow.cases.get(case.id)
        stored.vehicle_model = "长" * 101
        uow.cases.save(stored)
        uow.commit()
    assert caught.value.field == "vehicle_model"
    with pytest.raises(ValidationErrors) as refused:
        services.take_call(intake(vehicle_model="长" * 101))
    assert fields_of(refused.value) == {"vehicle_model"}


def test_the_cli_refuses_a_hostile_display_name_in_one_line(migrated_url: str) -> None:
    bootstrap.claim_first_admin(Settings(database_url=migrated_url, language="en", user="tester"))
    env = {
        **os.environ,
        "CALLCENTER_LANG": "en",
        "CALLCENTER_DATABASE_URL": migrated_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "callcenter", "staff", "add", "evil", "--name", HOSTILE[0]],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "control character" in line
    assert "\x1b" not in done.stdout + done.stderr


def test_visible_turns_every_one_into_a_symbol() -> None:
    assert visible("\x1b]0;PWNED\x07名") == "␛]0;PWNED␇名"
    assert visible("名\x00字\x85\u202e\u200b") == "名␀字⟨U+0085⟩⟨U+202E⟩⟨U+200B⟩"
    assert visible("行一\n行二\t", multiline=True) == "行一\n行二\t"
    assert visible("行一\n行二") == "行一␊行二"
    assert visible("张伟 粤B12345") == "张伟 粤B12345"


# -- what an older version stored reaches no terminal ------------------------------------------

#: Bytes the application itself never writes: only stored text could put them on the wire.
FORBIDDEN_ON_THE_WIRE = [
    b"\x1b]0;PWNED",
    b"\x1b[7777X",
    b"\x00",
    "\u202e".encode(),
    "\u200b".encode(),
    *(chr(c).encode() for c in range(0x80, 0xA0)),  # C1, as UTF-8
]


@pytest.mark.slow
def test_stored_control_characters_never_reach_the_terminal(
    tmp_path: Path, env: dict[str, str], terminals: list[Terminal]
) -> None:
    """A database an older version filled with the drill's text (written past the services,
    as it was then): the board, the case detail with its timeline, the search, the crews and
    the call desk are shown in a pseudo-terminal; not one of those bytes is written, and the
    detail shows them as symbols."""
    url = f"sqlite:///{tmp_path / 'data' / 'callcenter.sqlite3'}"
    (tmp_path / "data").mkdir(parents=True, exist_ok=True)
    settings = Settings(database_url=url, user="tester", language="en")
    container = bootstrap.build(settings, clock=SystemClock())
    try:
        case = container.services.take_call(intake())
        container.services.cancel(case.id, "误报", case.version)
    finally:
        container.close()
    evil = "\x1b]0;PWNED\x07\x1b[7777X\x00\x85\x9b2J\u202e\u200b"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            update(CaseRow).values(
                caller_name=f"王{evil}五",
                vehicle_model=f"车{evil}型",
                address=f"地{evil}址",
                notes=f"备{evil}注",
                cancel_reason=f"因{evil}由",
            )
        )
        conn.execute(update(CaseEventRow).values(actor=f"tester{evil}"))
        conn.execute(update(StaffRow).values(display_name=f"测{evil}试"))
    engine.dispose()

    terminal = Terminal(["--database-url", url], env)
    terminals.append(terminal)
    terminal.wait_for("Open 0")  # connected: the board is filled (the case is cancelled)
    terminal.type("/")
    terminal.wait_for("Find a case")
    terminal.type(*"B12345")
    terminal.wait_for("王␛")  # the result, its caller shown as symbols
    terminal.type("\x1b[B", "\r")  # down into the results, Enter opens the case
    terminal.wait_for("Timeline")
    terminal.wait_for("␛]0;PWNED")  # shown, as symbols
    terminal.type("\x1b", "\x1bOQ")  # back to the board, then F2: the crews
    terminal.type("\x1b", "\x1bOR")  # F3: the call desk
    terminal.type("\x1b")
    terminal.type("\x11")  # Ctrl+Q
    terminal.wait_exit(15)
    output = bytes(terminal.output)
    for needle in FORBIDDEN_ON_THE_WIRE:
        assert needle not in output, needle
