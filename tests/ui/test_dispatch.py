"""Pilot tests of the crew list (dispatch modal) on a real SQLite file at a fixed clock.

The data is built here through the services (a small night: six crews, a few open cases),
so the tests and snapshots do not move when the demo data changes.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import OptionList, Static

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.domain import CaseStatus, CrewStatus, RescuePlan, Role
from callcenter.services.staff import StaffDirectory
from callcenter.settings import Settings
from screens.case.dispatch import DispatchScreen, margin_text
from tests.conftest import FIXED_NOW
from tests.factories import add_crew, intake

HOSTILE = "[@click=quit]x"  # 16 characters at most: it goes in a plate column


@dataclass
class World:
    """Ids of what :func:`build_world` wrote."""

    url: str
    crews: dict[str, int]  # code → id
    ready: int  # fee agreed, waiting for a crew (8 km, promised 23:02)
    unagreed: int  # fee not agreed yet
    moving: int  # crew 救援4组 en route
    hostile: int  # caller text that looks like markup
    spare: int  # another case with the fee agreed


def build_world(url: str) -> World:
    """Six crews and five open cases, received in the minutes before 22:30 Shanghai."""
    clock = ManualClock(FIXED_NOW - timedelta(minutes=25))
    container = bootstrap.build(
        Settings(database_url=url, language="en", user="tester", bell=False), clock=clock
    )
    services = container.services
    StaffDirectory(services).add("operator2", "王芳", Role.OPERATOR)
    crews = {}
    for code, name, lat, lon, status in (
        ("救援1组", "李强", 22.550, 114.060, CrewStatus.AVAILABLE),
        ("救援2组", "王军", 22.800, 114.450, CrewStatus.AVAILABLE),
        ("救援3组", "陈刚", 22.600, 114.100, CrewStatus.AVAILABLE),
        ("救援4组", "赵磊", 22.520, 114.000, CrewStatus.AVAILABLE),
        ("救援5组", "周涛", 22.540, 114.050, CrewStatus.OFF_DUTY),
        ("救援6组", "孙浩", 22.530, 114.120, CrewStatus.RETURNING),
    ):
        crew = add_crew(
            services,
            code,
            name=name,
            lat=lat,
            lon=lon,
            status=status,
            phone="+8613900001111",
            vehicle_plate="粤B7T00" + code[2],
        )
        assert crew.id is not None
        crews[code] = crew.id

    moving = services.take_call(
        intake(
            caller_name="刘洋",
            phone="139 2222 3333",
            plate="粤B66666",
            vehicle_model="比亚迪汉",
            address="深圳市南山区科技园南区高新南一道",
            distance_km="15",
            fault_description="动力电池报警，车辆无法行驶",
            plan=RescuePlan.TOWING,
            fee_quote="0",
            coordinates="22.5405, 113.9530",
        )
    )
    clock.advance(timedelta(minutes=3))
    moving = services.dispatch(moving.id, crews["救援4组"])  # type: ignore[arg-type]
    clock.advance(timedelta(minutes=2))
    moving = services.en_route(moving.id, moving.version)  # type: ignore[arg-type]

    clock.set(FIXED_NOW - timedelta(minutes=12))
    unagreed = services.take_call(
        intake(
            caller_name="黄敏",
            phone="137 5555 6666",
            plate="粤B88888",
            address="深圳市罗湖区人民南路3005号",
            distance_km="5",
            fault_description="爆胎",
            plan=RescuePlan.TYRE,
            fee_quote="200",
            fee_agreed=False,
            coordinates="22.5380, 114.1180",
        )
    )
    clock.set(FIXED_NOW - timedelta(minutes=8))
    ready = services.take_call(intake(coordinates="22.5600, 114.0900", notes="车主在车内等候"))
    clock.set(FIXED_NOW - timedelta(minutes=6))
    hostile = services.take_call(
        intake(
            caller_name="[b]王[/b]",
            phone="135 0000 1111",
            plate="粤B54321",
            address=HOSTILE + " 深南大道",
            distance_km="9",
            fault_description="[red]不能启动[/red]",
            notes=HOSTILE,
        )
    )
    with container.uow(write=True) as uow:  # a plate no form would accept: data, still
        case = uow.cases.get(hostile.id)  # type: ignore[arg-type]
        assert case is not None
        case.plate = HOSTILE
        uow.cases.save(case)
        uow.commit()
    clock.set(FIXED_NOW - timedelta(minutes=2))
    spare = services.take_call(
        intake(
            caller_name="吴静",
            phone="136 7777 8888",
            plate="粤B11111",
            address="深圳市福田区福华路",
            distance_km="4",
            coordinates="22.5410, 114.0610",
        )
    )
    container.close()
    ids = (ready.id, unagreed.id, moving.id, hostile.id, spare.id)
    assert all(isinstance(i, int) for i in ids)
    return World(url, crews, *ids)  # type: ignore[arg-type]


_TEMPLATE: dict[str, tuple[Path, World]] = {}


def copy_world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    """A fresh copy of the small world for one test (built once per test session)."""
    if "world" not in _TEMPLATE:
        path = tmp_path_factory.mktemp("ui-world") / "world.sqlite3"
        built = build_world(f"sqlite:///{path}")
        engine = bootstrap.make_engine(built.url)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _TEMPLATE["world"] = (path, built)
    path, template = _TEMPLATE["world"]
    target = tmp_path / "callcenter.sqlite3"
    shutil.copy(path, target)
    return replace(template, url=f"sqlite:///{target}")


class Sessions:
    """``sessions(language="en", user="tester", clock=None, **app_kwargs)`` → (app, container):
    applications on the world's database file, each its own session, closed at the end."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.containers: list[bootstrap.Container] = []

    def __call__(
        self,
        language: str = "en",
        user: str = "tester",
        clock: ManualClock | None = None,
        **kwargs: Any,
    ) -> tuple[Any, bootstrap.Container]:
        settings = Settings(database_url=self.world.url, language=language, user=user, bell=False)
        container = bootstrap.build(settings, clock=clock or ManualClock(FIXED_NOW))
        self.containers.append(container)
        return bootstrap.make_app(container, **kwargs), container

    def close(self) -> None:
        for container in self.containers:
            container.close()


Session = Sessions


# The fixtures (test_case_detail.py and test_search.py declare the same two).
@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> World:
    return copy_world(tmp_path, tmp_path_factory)


@pytest.fixture
def session(world: World) -> Iterator[Sessions]:
    sessions = Sessions(world)
    yield sessions
    sessions.close()


def plain(renderable: Any, width: int = 140) -> str:
    """What a renderable shows, as plain text."""
    if hasattr(renderable, "plain"):
        return str(renderable.plain)
    console = Console(width=width, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def shown(app: Any, selector: str) -> str:
    return plain(app.screen.query_one(selector, Static).content)


def notices(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications]


# The workers of the screens under test (the app's change feed runs for ever: not waited on).
OUR_WORKERS = {
    "crew-options",
    "dispatch",
    "fee",
    "case-detail-load",
    "case-action",
    "search",
    "open-record",
    "form-type-ahead",
    "form-save",
}


async def settle(pilot: Pilot[Any]) -> None:
    """Let the screens under test finish what they started (never sleeps a fixed time)."""
    await pilot.pause()
    for _round in range(50):
        pending = [w for w in pilot.app.workers if w.group in OUR_WORKERS and not w.is_finished]
        if not pending:
            break
        for worker in pending:
            # Cancelled by a newer one, or failed: the test looks at the state, not the worker.
            with contextlib.suppress(Exception):
                await worker.wait()
        await pilot.pause()
    await pilot.pause()


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], tries: int = 100) -> None:
    for _attempt in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not met")


async def open_dispatch(pilot: Pilot[Any], case_id: int, results: list[int | None]) -> Any:
    app = pilot.app
    case = app.services.case(case_id)
    await app.push_screen(DispatchScreen(case), callback=results.append)
    await settle(pilot)
    return app.screen


def rows(screen: Any) -> list[tuple[str | None, bool, str]]:
    listing = screen.query_one("#crew-list", OptionList)
    return [(o.id, o.disabled, plain(o.prompt)) for o in listing.options]


# ---------------------------------------------------------------------------------------------


def test_margin_text_rounds_against_the_crew() -> None:
    assert margin_text(timedelta(minutes=12, seconds=59)) == ("12 min early", "early")
    assert margin_text(timedelta(minutes=-7, seconds=-1)) == ("8 min late", "late")
    assert margin_text(None) == ("—", "none")


async def test_crew_list_puts_available_in_time_crews_first_and_dispatches(
    session: Session, world: World
) -> None:
    app, container = session()
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dispatch(pilot, world.ready, results)
        listed = rows(screen)
        by_id = {crew_id: code for code, crew_id in world.crews.items()}
        codes = [by_id[int(i)] for i, _d, _t in listed if i is not None]
        # In time and available (nearest first), then available but late, then busy.
        assert codes == ["救援1组", "救援3组", "救援2组", "救援4组", "救援6组"]
        assert [d for _i, d, _t in listed] == [False, False, False, True, True]
        assert "救援5组" not in codes  # off duty
        first, second, late, moving, returning = (t for _i, _d, t in listed)
        assert "李强" in first and "4.3 km" in first and "22:36" in first
        assert "25 min early" in first
        assert "陈刚" in second and "22:38" in second and "23 min early" in second
        assert "王军" in late and "23:58" in late and "57 min late" in late
        assert "En route" in moving and "Returning" in returning
        assert "min early" not in moving
        highlighted = screen.query_one("#crew-list", OptionList).highlighted_option
        assert highlighted is not None and highlighted.id == str(world.crews["救援1组"])

        await pilot.press("enter")
        await settle(pilot)
        assert results == [world.ready]
        assert not isinstance(app.screen, DispatchScreen)
        number = container.services.case(world.ready).number
        assert f"Dispatched: 救援1组 → {number}" in notices(app)

    case = container.services.case(world.ready)
    assert case.status is CaseStatus.DISPATCHED
    assert case.crew_id == world.crews["救援1组"]
    crew = next(c for c in container.services.crews() if c.id == case.crew_id)
    assert crew.status is CrewStatus.DISPATCHED and crew.current_case_id == case.id
    assert [e.kind for e in container.services.timeline(world.ready)][-1] == "dispatched"


async def test_busy_crews_cannot_be_chosen(session: Session, world: World) -> None:
    app, container = session()
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dispatch(pilot, world.ready, results)
        await pilot.press("end", "enter")  # the cursor skips the greyed crews
        await settle(pilot)
    assert container.services.case(world.ready).crew_id != world.crews["救援4组"]
    assert container.services.case(world.ready).crew_id != world.crews["救援6组"]
    assert screen is not None


async def test_dispatch_needs_the_fee_agreement_and_f_records_it(
    session: Session, world: World
) -> None:
    app, container = session()
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dispatch(pilot, world.unagreed, results)
        assert "not yet agreed" in shown(app, "#dispatch-fee")
        await pilot.press("enter")
        await settle(pilot)
        message = shown(app, "#dispatch-message")
        assert "Record the owner's agreement to the fee before dispatching." in message
        assert "Press F" in message and "¥200.00" in message
        assert app.screen is screen and results == []
        assert container.services.case(world.unagreed).status is CaseStatus.RECEIVED

        await pilot.press("f")
        await settle(pilot)
        assert container.services.case(world.unagreed).fee_agreed
        assert "agreed by the owner" in shown(app, "#dispatch-fee")
        await pilot.press("enter")
        await settle(pilot)
        assert results == [world.unagreed]
    case = container.services.case(world.unagreed)
    assert case.status is CaseStatus.DISPATCHED
    kinds = [e.kind for e in container.services.timeline(world.unagreed)]
    assert kinds[-2:] == ["fee_agreed", "dispatched"]


async def test_crew_taken_by_another_session_says_who_and_refreshes(
    session: Session, world: World
) -> None:
    app, container = session(feed_interval=3600)  # no live refresh: the dispatch must notice
    _other_app, other = session(user="operator2")
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dispatch(pilot, world.ready, results)
        crew_1 = str(world.crews["救援1组"])
        assert screen.query_one("#crew-list", OptionList).highlighted_option.id == crew_1
        other.services.dispatch(world.spare, world.crews["救援1组"])
        spare = other.services.case(world.spare)

        await pilot.press("enter")
        await settle(pilot)
        message = shown(app, "#dispatch-message")
        assert f"救援1组 was changed by 王芳 at 22:30: dispatched to case {spare.number}" in (
            message
        )
        assert "The list is refreshed." in message
        assert app.screen is screen and results == []
        disabled = {i for i, d, _t in rows(screen) if d}
        assert crew_1 in disabled
        highlighted = screen.query_one("#crew-list", OptionList).highlighted_option
        assert highlighted is not None and highlighted.id == str(world.crews["救援3组"])

        await pilot.press("enter")
        await settle(pilot)
        assert results == [world.ready]
    assert container.services.case(world.ready).crew_id == world.crews["救援3组"]


async def test_crew_list_follows_other_sessions_live(session: Session, world: World) -> None:
    app, _container = session(feed_interval=0.05)
    _other_app, other = session(user="operator2")
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_dispatch(pilot, world.ready, results)
        crew_3 = str(world.crews["救援3组"])
        other.services.dispatch(world.spare, world.crews["救援3组"])
        await wait_for(pilot, lambda: (crew_3, True) in [(i, d) for i, d, _t in rows(screen)])


async def test_caller_text_in_the_crew_list_is_data(session: Session, world: World) -> None:
    app, _container = session()
    results: list[int | None] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dispatch(pilot, world.hostile, results)
        assert HOSTILE in shown(app, "#dispatch-case")
        for x in range(0, 40, 3):
            await pilot.click("#dispatch-case", offset=(x, 0))
        assert app.is_running


# -- snapshots ---------------------------------------------------------------------------------


def _dispatch_snapshot(world: World) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        from screens.case.detail import CaseDetailScreen

        await pilot.app.push_screen(CaseDetailScreen(world.ready))
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_snapshot_crew_list(
    snap_compare: Any, session: Session, world: World, language: str, size: tuple[int, int]
) -> None:
    app, _container = session(language=language, feed_interval=3600)
    assert snap_compare(app, terminal_size=size, run_before=_dispatch_snapshot(world))


async def test_the_dispatch_list_style_stays_off_the_board_crews(
    session: Session, world: World
) -> None:
    """The crew list of the dispatch screen and the board's crew panel share an id: the
    dispatch's border (its stylesheet stays loaded) must not reach the board's panel."""
    app, _container = session()
    async with app.run_test(size=(120, 40)) as pilot:
        board = app.screen
        panel = board.query_one("#crew-list")
        before = panel.styles.border_top
        screen = await open_dispatch(pilot, world.ready, [])
        assert screen.query_one("#crew-list", OptionList).styles.border_top[0] == "tall"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is board
        assert board.query_one("#crew-list").styles.border_top == before
