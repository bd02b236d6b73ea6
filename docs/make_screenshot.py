"""Write docs/board.svg: the board on the demo data at a fixed clock, in Chinese.

python docs/make_screenshot.py
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from callcenter import bootstrap
from callcenter.clock import ManualClock
from callcenter.settings import Settings

OUT = Path(__file__).with_name("board.svg")
NOW = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai, the night shift


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CALLCENTER_STATE_DIR"] = tmp
        settings = Settings(
            database_url=f"sqlite:///{tmp}/demo.sqlite3", language="zh_CN", user="night1"
        )
        container = bootstrap.build(settings, clock=ManualClock(NOW), identify=False)
        bootstrap.load_demo(container, seed=7)
        app = bootstrap.make_app(container, watch=False)
        async with app.run_test(size=(140, 36)) as pilot:
            await pilot.pause(0.5)
            OUT.write_text(app.export_screenshot(title="callcenter"), encoding="utf-8")
        container.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
