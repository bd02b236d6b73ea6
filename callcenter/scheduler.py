"""APScheduler 3 wiring of the SLA sweep: one interval job in the running asyncio loop.

The Textual application calls :func:`make_scheduler` in ``on_mount``, ``start()``s it and
``shutdown()``s it on unmount; ``callcenter watch`` does the same headless with
:func:`run_until_stopped`. The job is the module-level coroutine :func:`run_sweep`: it runs
the (blocking, database) sweep in a worker thread, then hands the result to ``on_result`` in
the loop's thread, where a Textual app may post a message. An error is logged and handed to
``on_error``, never swallowed.

The job store is in memory and belongs to this process: every session sweeps on its own and
the database's unique key on alerts decides what exists (APScheduler's FAQ: a job store
cannot be shared between processes).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

JOB_ID = "callcenter.sla_sweep"
R = TypeVar("R")


async def run_sweep(
    sweep: Callable[[], R],
    on_result: Callable[[R], None],
    on_error: Callable[[BaseException], None],
) -> None:
    """The job: one sweep in a thread; its result or its error to the callbacks."""
    try:
        result = await asyncio.to_thread(sweep)
    except asyncio.CancelledError:
        # The scheduler is shutting down (the application exits): not an error. The
        # sweep's thread finishes its transaction on its own.
        log.info("SLA sweep cancelled: the scheduler is shutting down")
        return
    except Exception as exc:
        log.exception("SLA sweep failed")
        on_error(exc)
        return
    try:
        on_result(result)
    except Exception as exc:
        log.exception("handling the result of an SLA sweep failed")
        on_error(exc)


def make_scheduler(
    sweep_callable: Callable[[], R],
    *,
    interval_seconds: float,
    on_result: Callable[[R], None],
    on_error: Callable[[BaseException], None],
) -> AsyncIOScheduler:
    """A scheduler (not started) that sweeps now, then every ``interval_seconds``.

    Start it inside the running loop (``scheduler.start()``, e.g. in ``on_mount``). One sweep
    at a time (``max_instances=1``); sweeps missed while the loop or the machine was busy
    collapse into one (``coalesce``), run however late; the first runs at once, which is
    the catch-up after a pause.
    """
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be positive")
    # APScheduler logs every run at INFO: 5,760 lines a day at 15 s. Keep its warnings.
    for name in ("apscheduler.executors", "apscheduler.scheduler"):
        quiet = logging.getLogger(name)
        if quiet.level == logging.NOTSET:
            quiet.setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    scheduler.add_job(
        run_sweep,
        trigger=IntervalTrigger(seconds=interval_seconds, timezone=UTC),
        args=(sweep_callable, on_result, on_error),
        id=JOB_ID,
        name="SLA sweep",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now(UTC),
    )

    def listen(event: JobEvent) -> None:
        if event.code == EVENT_JOB_ERROR and isinstance(event, JobExecutionEvent):
            # Only reaches here if the job itself failed outside run_sweep's own handling.
            if isinstance(event.exception, asyncio.CancelledError):
                return
            log.error("SLA sweep job crashed: %r", event.exception)
            if event.exception is not None:
                on_error(event.exception)
        elif event.code == EVENT_JOB_MAX_INSTANCES and isinstance(event, JobSubmissionEvent):
            log.warning("SLA sweep still running; a run was skipped")
        elif event.code == EVENT_JOB_MISSED:
            log.warning("SLA sweep missed its run time")

    scheduler.add_listener(listen, EVENT_JOB_ERROR | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
    return scheduler


async def run_until_stopped(
    sweep_callable: Callable[[], R],
    *,
    interval_seconds: float,
    on_result: Callable[[R], None],
    on_error: Callable[[BaseException], None],
    stop: asyncio.Event | None = None,
) -> None:
    """Sweep on an interval until SIGINT/SIGTERM (or ``stop`` is set): ``callcenter watch``."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, Windows
            pass
    scheduler = make_scheduler(
        sweep_callable, interval_seconds=interval_seconds, on_result=on_result, on_error=on_error
    )
    scheduler.start()
    try:
        await stop.wait()
    finally:
        shutdown(scheduler)
        for handled in installed:
            loop.remove_signal_handler(handled)
        await asyncio.sleep(0)  # let the deferred shutdown run


def shutdown(scheduler: AsyncIOScheduler) -> None:
    """Stop ``scheduler`` if it runs; safe to call twice (e.g. from unmount and exit).

    APScheduler's asyncio scheduler stops on the loop's next turn, so ``running`` stays true
    until then; a second call in the same turn does nothing.
    """
    if scheduler.running and scheduler not in _stopping:
        _stopping.add(scheduler)
        scheduler.shutdown(wait=False)


_stopping: weakref.WeakSet[AsyncIOScheduler] = weakref.WeakSet()
