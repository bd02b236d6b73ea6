"""Sweeping from several OS processes at once, and the ``callcenter watch`` command (issue 4)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.domain import AlertKind
from callcenter.settings import Settings
from tests.conftest import FIXED_NOW
from tests.factories import add_crew, intake
from tests.integration import sweep_helper as sim

ROOT = Path(__file__).resolve().parents[2]
HELPER = Path(sim.__file__)
PROCESSES = 5


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def test_five_processes_sweeping_at_once_raise_each_alert_exactly_once(
    container: bootstrap.Container, clock: ManualClock, migrated_url: str
) -> None:
    """A day of calls, then 5 processes sweep the same database at the same instants."""
    day = sim.plan_day(FIXED_NOW - timedelta(days=2))
    sim.play(container.services, clock, day)  # every event, no sweep yet
    steps, step = 20, timedelta(seconds=15)
    watched = sim.Day(day.end, day.end + steps * step - step, step, day.calls)
    expected = sim.expected_alerts(watched)
    assert len(expected) > 30

    go_at = time.time() + 2.0  # every process imported and connected before it sweeps
    env = _env(CALLCENTER_FAKE_NOW=day.end.isoformat(), CALLCENTER_GO_AT=str(go_at))
    procs = [
        subprocess.Popen(
            [sys.executable, str(HELPER), migrated_url, str(steps), "15"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    reported = [
        json.loads(line) for out, _err in outputs for line in out.splitlines() if line.strip()
    ]
    keys = Counter(
        (r["case_id"], r["kind"], datetime.fromisoformat(r["deadline"])) for r in reported
    )
    assert [k for k, n in keys.items() if n > 1] == [], "an alert was raised twice"
    assert set(keys) == set(expected)
    for r in reported:
        key = (r["case_id"], r["kind"], datetime.fromisoformat(r["deadline"]))
        assert r["missed"] == expected[key], key

    with container.services.uow(write=False) as uow:
        case_ids = [c.case_id for c in day.calls if c.case_id is not None]
        stored = [a for i in case_ids for a in uow.alerts.for_case(i)]
    assert Counter((a.case_id, a.kind.value, a.deadline) for a in stored) == Counter(
        dict.fromkeys(expected, 1)
    )
    events = Counter(
        (e.case_id, e.details["kind"], e.details["deadline"])
        for i in case_ids
        for e in container.services.timeline(i)
        if e.kind == "alert_raised"
    )
    assert len(events) == len(expected) and set(events.values()) == {1}
    by_process = Counter(
        e.actor
        for i in case_ids
        for e in container.services.timeline(i)
        if e.kind == "alert_raised"
    )
    assert sum(by_process.values()) == len(expected)


def _past_case(settings: Settings) -> tuple[str, datetime]:
    """A case received 2 h ago (real time), never dispatched; returns number and promise."""
    clock = ManualClock(datetime.now(UTC) - timedelta(hours=2))
    container = bootstrap.build(settings, clock=clock)
    try:
        add_crew(container.services)
        case = container.services.take_call(intake())
        assert case.promised_arrival_at is not None
        return case.number, case.promised_arrival_at
    finally:
        container.close()


def test_watch_once_prints_what_it_raised_and_exits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'watch.sqlite3'}"
    settings = Settings(database_url=url, language="en", user="tester")
    number, promised = _past_case(settings)
    command = [
        sys.executable,
        "-m",
        "callcenter",
        "--database-url",
        url,
        "--lang",
        "en",
        "watch",
        "--once",
    ]
    first = subprocess.run(
        command, capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=60
    )
    assert first.returncode == 0, first.stderr
    local = promised.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
    lines = first.stdout.splitlines()
    assert f"{number}  {AlertKind.ARRIVAL_LATE.label}  {local}" in lines
    assert f"{number}  {AlertKind.ARRIVAL_AT_RISK.label}  {local}" in lines
    assert any(line.startswith(f"{number}  Response overdue  ") for line in lines)
    assert len(lines) == 3
    second = subprocess.run(
        command, capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=60
    )
    assert second.returncode == 0 and second.stdout == "", "each alert is raised once"


def test_watch_runs_until_sigterm_printing_alerts_as_they_come(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'watch.sqlite3'}"
    settings = Settings(database_url=url, language="en", user="tester")
    number, _promised = _past_case(settings)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "callcenter",
            "--database-url",
            url,
            "--lang",
            "en",
            "watch",
            "--interval",
            "0.5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        started = [proc.stdout.readline() for _ in range(3)]  # the sweep at start
        assert all(line.startswith(f"{number}  ") for line in started)
        time.sleep(1.2)  # a couple more sweeps, which find nothing new
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        later, err = proc.stdout.read(), proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert later == "", "nothing raised twice"
    assert "Watching the SLA clocks every 0.5 s" in err


def test_watch_refuses_a_silly_interval(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'watch.sqlite3'}"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "callcenter",
            "--database-url",
            url,
            "--lang",
            "en",
            "watch",
            "--interval",
            "0",
        ],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2 and "--interval" in result.stderr
