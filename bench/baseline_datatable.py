"""The baseline for ``bench/board.py``: a stock Textual ``DataTable`` with a countdown per row.

It shows ``--rows`` rows with the same columns as the board and, once a second, updates the
time-left cell of every row with ``DataTable.update_cell`` — the obvious way to build a live
board with the stock widget. Run it alone with ``python -m bench.baseline_datatable``.
"""

from __future__ import annotations

import argparse
import time

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer

COLUMNS = (
    ("number", "Case No.", 13),
    ("priority", "Priority", 8),
    ("plate", "Plate", 9),
    ("place", "Location", 30),
    ("status", "Status", 10),
    ("crew", "Crew", 8),
    ("promised", "Promised", 8),
    ("left", "Time left", 9),
    ("flags", "Flags", 5),
)
STATUSES = ("Received", "Dispatched", "En route")
PLACES = (
    "Shennan Blvd / Futian",
    "Binhe Expressway K12",
    "Nanshan Science Park",
    "Bao'an Airport T3",
)


def countdown(seconds: int) -> str:
    sign = "-" if seconds < 0 else ""
    minutes, secs = divmod(abs(seconds), 60)
    return f"{sign}{minutes:02d}:{secs:02d}"


class BaselineApp(App[None]):
    BINDINGS = [Binding("ctrl+q", "quit", "Quit")]

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows
        self.deadlines: list[float] = []

    def compose(self) -> ComposeResult:
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in COLUMNS:
            table.add_column(label, key=key, width=width)
        now = time.monotonic()
        for i in range(self.rows):
            deadline = now + (i * 7919) % 7200 - 600
            self.deadlines.append(deadline)
            table.add_row(
                f"20261122-{i + 1:04d}",
                "General",
                f"B{10000 + i}",
                PLACES[i % len(PLACES)],
                STATUSES[i % len(STATUSES)],
                f"R{i % 60 + 1}",
                "23:10",
                countdown(int(deadline - now)),
                "",
                key=str(i),
            )
        self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        table = self.query_one(DataTable)
        now = time.monotonic()
        for i, deadline in enumerate(self.deadlines):
            table.update_cell(str(i), "left", countdown(int(deadline - now)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    BaselineApp(parser.parse_args().rows).run()


if __name__ == "__main__":
    main()
