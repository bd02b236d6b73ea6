"""Issue 15, points 8 and 9: the board's footer at 80×24, a resize keeps the late rows in
view, and nothing English in the Chinese command palette and help (Textual's own words)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Footer, Input
from textual.widgets._footer import FooterKey

from screens.help.help import HelpScreen
from screens.kit import textual_private
from screens.kit.textual_words import TEXTUAL_KEY_WORDS
from tests.ui.test_board import loaded, wait_for

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
#: Names, not English: file formats and key names read the same in a Chinese interface.
NAMES = {"Excel", "CSV", "XLSX", "Enter", "Esc", "Ctrl", "Tab", "Shift"}


def english(text: str) -> list[str]:
    return [w for w in LATIN_WORD.findall(text) if w not in NAMES]


def footer_keys(app: Any) -> list[tuple[str, str]]:
    footer = app.screen.query_one(Footer)
    return [(k.key_display, k.description) for k in footer.query(FooterKey)]


def footer_width(app: Any) -> int:
    """The cells the footer's keys take (the palette key docked right included)."""
    footer = app.screen.query_one(Footer)
    return sum(k.outer_size.width for k in footer.query(FooterKey))


# -- 8: the footer at 80×24 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "more", "essential"),
    [
        ("zh_CN", "更多", ["打开", "新来电", "派车", "搜索", "救援组"]),
        ("en", "More", ["Open", "New call", "Dispatch", "Search", "Crews"]),
    ],
)
async def test_the_footer_at_80_columns_shows_the_essential_keys_and_f1_more(
    make_app: Any, language: str, more: str, essential: list[str]
) -> None:
    app, _container = make_app(language=language)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await wait_for(pilot, lambda: ("F1", more) in footer_keys(app))
        keys = footer_keys(app)
        descriptions = [d for _k, d in keys]
        for word in essential:
            assert word in descriptions, (word, keys)
        assert ("/", descriptions[[k for k, _d in keys].index("/")]) in keys
        assert footer_width(app) <= 80, keys  # nothing cut
        # Hidden from the footer, the keys still work and F1 lists every one of them.
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        listed = dict(app.screen._keys)
        for key in ("n", "d", "r", "a", "c", "b", "l", "x", "f", "/", "F2"):
            assert key in listed, key


@pytest.mark.parametrize("language", ["zh_CN", "en"])
async def test_a_wide_footer_shows_every_key_and_f1_help(make_app: Any, language: str) -> None:
    app, _container = make_app(language=language)
    async with app.run_test(size=(200, 45)) as pilot:
        await loaded(pilot)
        await wait_for(pilot, lambda: len(footer_keys(app)) > 10)
        keys = dict(footer_keys(app))
        assert keys["F1"] == ("帮助" if language == "zh_CN" else "Help")
        for key in ("n", "d", "r", "a", "c", "b", "l", "x", "f", "/", "F2"):
            assert key in keys, key
        assert footer_width(app) <= 200
        # Narrowed, then widened again: the footer follows.
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: "b" not in dict(footer_keys(app)))
        await pilot.resize_terminal(200, 45)
        await wait_for(pilot, lambda: "b" in dict(footer_keys(app)))


async def test_a_resize_keeps_the_late_rows_and_the_cursor_row_in_view(make_app: Any) -> None:
    """Taller again after a short terminal: the rows from the top (late first) come back
    into view as far as the cursor's row lets; shorter: the cursor's row stays in view."""
    app, _container = make_app(language="zh_CN")
    async with app.run_test(size=(80, 16)) as pilot:
        board = (await loaded(pilot)).board
        page = board.scrollable_content_region.height - 1
        assert board.row_count > page + 6
        board.move_cursor(page + 2)  # below the first page: the late rows scrolled away
        await pilot.pause()
        assert board.scroll_offset.y == 3
        await pilot.resize_terminal(80, 20)  # four rows more: the cursor fits from the top
        await pilot.pause()
        await pilot.pause()
        assert board.scroll_offset.y == 0, "the late rows (first) are in view again"
        await pilot.resize_terminal(80, 14)
        await pilot.pause()
        await pilot.pause()
        top = int(board.scroll_offset.y)
        height = board.scrollable_content_region.height - 1
        assert top == board.cursor_row - height + 1, "the cursor's row in view, rows above it"


# -- 9: the palette and the help in Chinese --------------------------------------------


async def test_the_chinese_palette_and_help_have_no_english(make_app: Any) -> None:
    app, _container = make_app(language="zh_CN")
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot)
        footer = footer_keys(app)
        assert ("^p", "命令") in footer and not any(d == "palette" for _k, d in footer)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        palette = app.screen
        assert palette.query_one(Input).placeholder == "搜索命令…"
        await pilot.pause(0.3)
        commands = await _palette_lines(pilot)
        assert commands, "the palette lists the commands"
        for line in commands:
            assert not english(line), line
        assert any(line.startswith("主题") for line in commands)
        await pilot.press(*"zzzz")
        await pilot.pause(0.8)
        assert "没有匹配项" in await _palette_text(pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))
        # The help lists the keys of the focused widget too, all in Chinese.
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        for key, description in app.screen._keys:
            assert not english(description), (key, description)


async def test_the_help_of_a_typed_field_is_in_chinese(make_app: Any) -> None:
    """In the intake form the focused Input brings Textual's own keys (cursor, copy …)."""
    app, _container = make_app(language="zh_CN")
    async with app.run_test(size=(160, 45)) as pilot:
        await loaded(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        described = dict(app.screen._keys)
        assert "复制选中的文字" in described.values()
        for description in described.values():
            assert not english(description), description


def test_every_key_of_the_textual_widgets_we_use_has_its_words() -> None:
    """A Textual upgrade that adds a key shows up here (and in the catalogs)."""
    from textual import widgets
    from textual.app import App
    from textual.binding import Binding
    from textual.containers import ScrollableContainer
    from textual.screen import ModalScreen, Screen
    from textual.scroll_view import ScrollView

    used = [
        App,
        Screen,
        ModalScreen,
        ScrollView,
        ScrollableContainer,
        widgets.Input,
        widgets.TextArea,
        widgets.DataTable,
        widgets.Select,
        widgets.Checkbox,
        widgets.RadioButton,
        widgets.RadioSet,
        widgets.Button,
        widgets.OptionList,
        CommandPalette,
    ]
    missing = set()
    for cls in used:
        for klass in cls.__mro__:
            for binding in getattr(klass, "BINDINGS", None) or []:
                description = binding.description if isinstance(binding, Binding) else ""
                if description and description not in TEXTUAL_KEY_WORDS:
                    missing.add(description)
    assert missing <= {"palette"}, sorted(missing)


def test_the_no_matches_countdown_is_the_verified_one() -> None:
    assert textual_private.no_matches_verified(), textual_private.source_digest(
        textual_private._original_no_matches
    )


async def _palette_text(pilot: Pilot[Any]) -> str:
    from textual.command import CommandList

    options = pilot.app.screen.query_one(CommandList)
    return "\n".join(
        str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
    )


async def _palette_lines(pilot: Pilot[Any]) -> list[str]:
    from rich.console import Console
    from textual.command import CommandList

    options = pilot.app.screen.query_one(CommandList)
    console = Console(width=200, color_system=None)
    lines = []
    for i in range(options.option_count):
        prompt = options.get_option_at_index(i).prompt
        with console.capture() as capture:
            console.print(prompt)
        lines.append(" ".join(capture.get().split()))
    return lines


# -- snapshots -------------------------------------------------------------------------


async def _palette(pilot: Pilot[Any]) -> None:
    """The palette searched for the theme command: one hit (the full list's order depends on
    which provider answers first, so a snapshot of it would not be deterministic; the pilot
    test above reads the full list)."""
    await loaded(pilot)
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette))
    pilot.app.screen.query_one(Input).cursor_blink = False
    from callcenter.i18n import current_language

    await pilot.press(*("主题" if current_language() == "zh_CN" else "Theme"))
    await pilot.pause(0.8)


async def _help(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    await pilot.press("f1")
    await pilot.pause()


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(160, 45), (80, 24)], ids=["160x45", "80x24"])
@pytest.mark.parametrize("what", ["palette", "help"])
def test_snapshot_palette_and_help(
    make_app: Any, snap_compare: Any, language: str, size: tuple[int, int], what: str
) -> None:
    app, _container = make_app(language=language, watch=False, feed_interval=3600)
    run_before = _palette if what == "palette" else _help
    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_the_footer_is_fitted_again_when_the_keys_allowed_change(make_app: Any) -> None:
    """Before the session is connected the board's keys are not allowed (not shown); once
    connected (``refresh_bindings``) the footer shows them, fitted to the width."""
    app, _container = make_app(language="zh_CN")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await loaded(pilot)
        app.connected = False
        screen.refresh_bindings()
        await wait_for(pilot, lambda: "n" not in dict(footer_keys(app)))
        app.connected = True
        screen.refresh_bindings()
        await wait_for(pilot, lambda: ("F1", "更多") in footer_keys(app))
        assert "n" in dict(footer_keys(app)) and footer_width(app) <= 80
