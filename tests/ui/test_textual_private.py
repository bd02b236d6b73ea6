"""screens/kit/textual_private.py: the one module that touches Textual's private API.

Textual is pinned to the release the patches were verified on; these tests fail when the
pin, the installed release or the patched functions' sources drift from it, so that an
upgrade forces a new look at the patches (then record the new digests in the module).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

from screens.kit import textual_private

ROOT = Path(__file__).resolve().parents[2]


def test_the_pinned_and_installed_textual_are_the_verified_one() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [d for d in pyproject["project"]["dependencies"] if re.match(r"textual\b", d)]
    assert pins == [f"textual=={textual_private.VERIFIED_TEXTUAL}"]
    assert version("textual") == textual_private.VERIFIED_TEXTUAL


def test_the_patched_functions_are_the_ones_verified() -> None:
    """sha256 of inspect.getsource of Textual's own functions (not the replacements)."""
    assert textual_private._original is not None
    assert textual_private._original_chops is not None
    render = textual_private.source_digest(textual_private._original)
    chops = textual_private.source_digest(textual_private._original_chops)
    assert render in textual_private.KNOWN_SOURCES, render
    assert chops in textual_private.KNOWN_CHOPS_SOURCES, chops


def test_no_other_module_imports_textual_private_modules() -> None:
    private = re.compile(r"^\s*(from|import)\s+textual\.(_\w+|\w+\._\w+)", re.MULTILINE)
    found = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "screens").rglob("*.py"))
        if path.name != "textual_private.py" and private.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_a_missing_private_symbol_leaves_textual_alone_and_the_app_starts() -> None:
    code = (
        "import sys, types, logging\n"
        "import textual.app, textual.screen\n"
        "sys.modules['textual._compositor'] = types.ModuleType('textual._compositor')\n"
        "import screens.app\n"
        "from screens.kit import textual_private as t\n"
        "print(t.install(), t.installed(), t.ChopsUpdate is None)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "True"]
    assert "not installed" in result.stderr


def test_the_text_guard_drops_control_characters_from_what_is_written() -> None:
    """Whatever a screen forgets, a stored ESC/C1/NUL/bidi override never reaches the
    terminal; the styles' own escape sequences do, and the cells do not move."""
    from rich.console import Console
    from rich.segment import Segment
    from rich.style import Style
    from textual.strip import Strip

    assert textual_private.install_text_guard()
    assert textual_private.source_digest(textual_private._original_strip_render) in (
        textual_private.KNOWN_STRIP_RENDER_SOURCES
    )
    hostile = "名\x1b]0;PWNED\x07\x1b[2J\x00\x85\u202e字"
    strip = Strip([Segment(hostile, Style(bold=True)), Segment("ok\x9b31m")])
    out = strip.render(Console(color_system="truecolor", force_terminal=True))
    assert "\x1b]0;" not in out and "\x1b[2J" not in out and "\x07" not in out
    assert not any(ch in out for ch in ("\x00", "\x85", "\x9b", "\u202e"))
    assert "名]0;PWNED[2J字" in out and "ok31m" in out
    assert "\x1b[1m" in out  # bold: the style's sequence is kept
