"""The import arrows point one way (import-linter contracts in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run(
        [exe, "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_the_first_frame_needs_no_database_layer() -> None:
    """What the interactive start imports before its first frame (callcenter.cli, then
    screens.app) loads neither SQLAlchemy nor Alembic, nor the modules that can wait: the
    board paints while the session is built in a thread."""
    later = ["sqlalchemy", "alembic", "apscheduler", "phonenumbers", "psycopg", "storage"]
    later += ["callcenter.bootstrap", "callcenter.services", "screens.intake"]
    code = (
        "import sys, callcenter.cli, screens.app\n"
        f"print(','.join(m for m in {later!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
