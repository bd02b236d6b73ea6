"""Models and migrations agree; upgrade/downgrade work on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from pytest_alembic.tests import (  # noqa: F401 - collected as tests
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from sqlalchemy import func, inspect, select, text

from callcenter import bootstrap
from callcenter.clock import ManualClock
from storage.engine import make_engine
from storage.tables import Base
from tests.conftest import FIXED_NOW


def test_round_trip_upgrade_downgrade_upgrade(database_url: str) -> None:
    bootstrap.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        assert bootstrap.current_revision(engine) == bootstrap.head_revision(database_url)
        assert bootstrap.schema_is_current(engine)
        bootstrap.downgrade(database_url, "base")
        assert bootstrap.current_revision(engine) is None
        assert not bootstrap.schema_is_current(engine)
        assert not inspect(engine).has_table("cases")
        bootstrap.upgrade(database_url)
        assert inspect(engine).has_table("cases")
        assert bootstrap.current_revision(engine) == bootstrap.head_revision(database_url)
    finally:
        engine.dispose()


def test_head_constant_names_the_newest_migration(database_url: str) -> None:
    """storage.migrations.HEAD (the quick start's check) is the head of versions/."""
    from storage.migrations import HEAD

    assert bootstrap.head_revision(database_url) == HEAD


def test_an_older_schema_is_not_current(database_url: str) -> None:
    bootstrap.upgrade(database_url, "0001")
    engine = make_engine(database_url)
    try:
        assert not bootstrap.schema_is_current(engine)
    finally:
        engine.dispose()


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


#: The tables a revision's downgrade refuses to drop while they hold rows ("export or delete
#: them first"), children first. The demo fills them all.
_GUARDED = {
    "0005": ("call_attempts", "call_tasks"),
    "0006": ("surveys", "service_record_versions", "service_records", "ledger_entries"),
    "0009": ("escalations", "complaint_alerts", "complaints"),
    "0013": ("handover_reads",),
}

#: The columns a revision's downgrade refuses to drop while they hold values: how to clear them.
_CLEARED = {
    "0008": (
        "UPDATE customers SET wanted_service = '', other_phones = ''",
        "UPDATE vehicles SET purchase_date = NULL, running_hours = NULL, mileage_km = NULL,"
        " reading_on = NULL, maintained_hours = NULL, maintained_on = NULL",
        "UPDATE call_tasks SET dedupe_key = NULL",
    ),
    # The follow-up calls (revisits, promised call-backs) and the revisit surveys: deleted,
    # the other calls kept (a complaint's call-back is referenced by its complaint).
    "0010": (
        "DELETE FROM call_attempts WHERE task_id IN (SELECT id FROM call_tasks WHERE"
        " unique_key IS NOT NULL OR contact_phone <> '' OR contact_name <> '')",
        "UPDATE complaints SET callback_task_id = NULL WHERE callback_task_id IN (SELECT id"
        " FROM call_tasks WHERE unique_key IS NOT NULL OR contact_phone <> ''"
        " OR contact_name <> '')",
        "DELETE FROM surveys WHERE kind <> 'feedback' OR task_id IN (SELECT id FROM call_tasks"
        " WHERE unique_key IS NOT NULL OR contact_phone <> '' OR contact_name <> '')",
        "DELETE FROM call_tasks WHERE"
        " unique_key IS NOT NULL OR contact_phone <> '' OR contact_name <> ''",
    ),
}


def _step_down_past(database_url: str, engine, revision: str, target: str) -> None:
    """Going below ``revision`` is refused while its tables hold rows: check that, then
    empty them as the message asks."""
    tables = _GUARDED.get(revision, ())
    if revision in _CLEARED:
        _clear_past(database_url, engine, revision, target)
        return
    if not any(_counts(engine)[t] for t in tables):
        return
    # Down to ``revision`` first: SQLite does not undo the newer revisions' downgrades when
    # this one refuses.
    bootstrap.downgrade(database_url, revision)
    with pytest.raises(RuntimeError, match="would drop them"):
        bootstrap.downgrade(database_url, target)
    with engine.begin() as conn:
        for table in tables:
            conn.execute(Base.metadata.tables[table].delete())
    bootstrap.upgrade(database_url)


def _clear_past(database_url: str, engine, revision: str, target: str) -> None:
    """Going below ``revision`` is refused while its columns hold values (the demo fills
    them): check that, then clear them as the message asks."""
    bootstrap.downgrade(database_url, revision)
    with pytest.raises(RuntimeError, match="would drop them"):
        bootstrap.downgrade(database_url, target)
    with engine.begin() as conn:
        for statement in _CLEARED[revision]:
            conn.execute(text(statement))
    bootstrap.upgrade(database_url)


def test_migrations_keep_every_row_of_a_full_database(migrated_url: str) -> None:
    """Step the newest revisions down and up again over demo data, foreign keys on; the
    tables a downgrade refuses to drop are emptied first, as its message asks."""
    from callcenter.settings import Settings

    database_url = migrated_url

    container = bootstrap.build(
        Settings(database_url=database_url, language="en", user="tester"),
        clock=ManualClock(FIXED_NOW),
        identify=False,  # no first-admin audit row: audit_log itself goes away below 0002
    )
    bootstrap.load_demo(container)
    before = _counts(container.engine)
    assert before["cases"] > 100 and before["case_events"] > before["cases"]
    script = ScriptDirectory.from_config(bootstrap.alembic_config(database_url))
    revisions = [r.revision for r in script.walk_revisions()]  # newest first
    for steps in range(1, len(revisions)):
        target = revisions[steps]
        _step_down_past(database_url, container.engine, revisions[steps - 1], target)
        before = _counts(container.engine)
        bootstrap.downgrade(database_url, target)
        bootstrap.upgrade(database_url)
        after = _counts(container.engine)
        assert after == before, f"rows changed going down to {target} and back up"
    if container.engine.dialect.name == "sqlite":
        with container.engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    container.close()


def test_downgrade_below_0006_refuses_while_records_exist(migrated_url: str) -> None:
    """The service records, the ledger and the surveys are never dropped silently."""
    import pytest

    from callcenter.services import Checklist
    from callcenter.settings import Settings
    from tests.factories import add_crew, intake, record_input

    container = bootstrap.build(
        Settings(database_url=migrated_url, language="en", user="tester"),
        clock=ManualClock(FIXED_NOW),
    )
    services = container.services
    crew = add_crew(services)
    case = services.take_call(intake())
    services.dispatch(case.id, crew.id)
    services.arrive(case.id, Checklist(True, True, True))
    services.save_record(case.id, record_input(services))
    # Down to 0006 first: SQLite does not undo the newer revisions' downgrades when 0006's
    # refuses (their DDL is not transactional there).
    bootstrap.downgrade(migrated_url, "0006")
    with pytest.raises(Exception, match="service_records holds 1 row"):
        bootstrap.downgrade(migrated_url, "0005")
    engine = container.engine
    assert bootstrap.current_revision(engine) == "0006"
    assert inspect(engine).has_table("service_records")
    bootstrap.upgrade(migrated_url)
    assert bootstrap.current_revision(engine) == bootstrap.head_revision(migrated_url)
    container.close()


def test_downgrade_below_0010_refuses_while_follow_up_calls_exist(migrated_url: str) -> None:
    """A promised call-back (its number) and a revisit's survey are never dropped silently;
    without them the downgrade goes through."""
    import pytest

    from callcenter.services.calls import CallDesk
    from callcenter.services.delays import DelayCalls
    from callcenter.settings import Settings

    container = bootstrap.build(
        Settings(database_url=migrated_url, language="en", user="tester"),
        clock=ManualClock(FIXED_NOW),
    )
    desk = CallDesk(container.services, DelayCalls.from_services(container.services))
    task = desk.promise(when="+1h", what="回电", phone="13900002222")
    with pytest.raises(Exception, match="call_tasks holds 1 row"):
        bootstrap.downgrade(migrated_url, "0006")
    engine = container.engine
    assert inspect(engine).has_table("call_tasks")
    assert "contact_phone" in {c["name"] for c in inspect(engine).get_columns("call_tasks")}
    desk.cancel("callback", task.id, "test")
    with engine.begin() as conn:
        conn.execute(text("UPDATE call_tasks SET contact_phone = ''"))
    bootstrap.downgrade(migrated_url, "0006")
    assert "contact_phone" not in {c["name"] for c in inspect(engine).get_columns("call_tasks")}
    bootstrap.upgrade(migrated_url)
    container.close()


def _shape(engine) -> set[str]:
    """Every table and ``table.column`` of the schema."""
    inspector = inspect(engine)
    shape: set[str] = set()
    for table in inspector.get_table_names():
        if table == "alembic_version" or table.startswith("ledger_fts"):
            continue  # the text index of the ledger (0007): derived from ledger_entries
        shape.add(table)
        shape.update(f"{table}.{c['name']}" for c in inspector.get_columns(table))
    return shape


def test_each_revisions_drops_names_what_its_downgrade_drops(database_url: str) -> None:
    """``DROPS`` in each migration (what ``db downgrade`` counts and asks about) is exactly
    what its downgrade removes: the tables, and the columns of tables that stay."""
    script = ScriptDirectory.from_config(bootstrap.alembic_config(database_url))
    bootstrap.upgrade(database_url)
    engine = make_engine(database_url)
    try:
        for revision in script.walk_revisions():  # newest first
            before = _shape(engine)
            bootstrap.downgrade(database_url, revision.down_revision or "base")
            engine.dispose()
            gone = before - _shape(engine)
            tables = {name for name in gone if "." not in name}
            expected = tables | {
                name for name in gone if "." in name and name.split(".")[0] not in tables
            }
            declared = set(getattr(revision.module, "DROPS", ()))
            assert declared == expected, revision.revision
    finally:
        engine.dispose()


def test_downgrade_below_0009_refuses_while_complaints_exist(migrated_url: str) -> None:
    """Complaints and escalations are never dropped silently."""
    from callcenter.complaints.model import ComplaintInput
    from callcenter.settings import Settings

    container = bootstrap.build(
        Settings(database_url=migrated_url, language="en", user="tester"),
        clock=ManualClock(FIXED_NOW),
    )
    container.services.record_complaint(
        ComplaintInput(
            channel="visit", customer_name="张伟", category="fees", description="收费过高"
        )
    )
    with pytest.raises(Exception, match="complaints holds 1 row"):
        bootstrap.downgrade(migrated_url, "0006")
    engine = container.engine
    assert bootstrap.current_revision(engine) == bootstrap.head_revision(migrated_url)
    assert inspect(engine).has_table("complaints")
    container.close()


def test_downgrade_below_0013_refuses_while_handover_reads_exist(migrated_url: str) -> None:
    """Who read which shift's handover is never dropped silently."""
    from callcenter.settings import Settings

    container = bootstrap.build(
        Settings(database_url=migrated_url, language="en", user="tester"),
        clock=ManualClock(FIXED_NOW),
    )
    container.services.mark_handover_read()
    with pytest.raises(RuntimeError, match="handover_reads holds 1 row"):
        bootstrap.downgrade(migrated_url, "0012", drop_data=False)
    engine = container.engine
    assert bootstrap.current_revision(engine) == bootstrap.head_revision(migrated_url)
    bootstrap.downgrade(migrated_url, "0012", drop_data=True)
    assert not inspect(engine).has_table("handover_reads")
    container.close()


def test_downgrade_below_0014_refuses_while_a_crew_is_out_of_service(migrated_url: str) -> None:
    """A crew out of service (or with a duty reason) is never put back silently; with the
    user's agreement (``db downgrade --yes``) it goes down as off duty."""
    from callcenter.domain import CrewStatus
    from callcenter.settings import Settings
    from tests.factories import add_crew

    container = bootstrap.build(
        Settings(database_url=migrated_url, language="en", user="tester"),
        clock=ManualClock(FIXED_NOW),
    )
    services = container.services
    crew = add_crew(services)
    services.set_crew_duty(crew.id, CrewStatus.OUT_OF_SERVICE, "绞盘故障", version=crew.version)
    with pytest.raises(Exception, match="crews holds 1 row"):
        bootstrap.downgrade(migrated_url, "0013")
    engine = container.engine
    assert "status_reason" in {c["name"] for c in inspect(engine).get_columns("crews")}
    from storage.schema import downgrade

    downgrade(migrated_url, "0013", drop_data=True)
    assert "status_reason" not in {c["name"] for c in inspect(engine).get_columns("crews")}
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT status FROM crews")) == "off_duty"
    bootstrap.upgrade(migrated_url)
    container.close()
