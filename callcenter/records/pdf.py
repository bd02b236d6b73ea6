"""The owner's copy of a service record as a PDF: 救援服务记录单（现场服务登记表）, 顾客联.

A paper form on A4: the case number and the time printed on top, then boxed sections — the
call, the times, the crew, the fault cause analysis, the solution, the parts replaced, the
fees, the owner's acceptance — and the signature lines. Long texts wrap inside their boxes
and carry on over as many pages as they need; a section cut by a page break is headed again
on the next page, "(continued)".

Language: :func:`owner_copy_pdf` prints in ``lang`` through the application's translation
function ``_`` inside :func:`callcenter.i18n.language`, which applies to the running thread only
— the interface language of the board (and of other threads) is left as it is. Labels, enum
labels and :func:`callcenter.validation.format_phone` all follow.

Font: Noto Sans CJK SC (SIL Open Font License 1.1), shipped in ``fonts/`` as subsets made by
``scripts/subset_cjk_font.py`` (regular: GBK; bold, used for headings only: GB2312); fpdf2
embeds in the PDF only the glyphs the page uses. A character the font lacks (𠀀, an emoji) is
printed as □ — the customary mark of a missing character — instead of failing or printing
nothing.

fpdf2 is imported when a PDF is made, not when this module is imported: nothing of it is
loaded on the board's start-up path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from callcenter.domain.model import Case
from callcenter.i18n import _, language
from callcenter.records.model import FeeKind, ServiceRecord
from callcenter.sla import policy_title
from callcenter.validation import format_phone

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = ["FONT_DIR", "MISSING_GLYPH", "OwnerCopy", "owner_copy_pdf", "wrap_text"]

FONT_DIR = Path(__file__).with_name("fonts")
REGULAR_FONT = FONT_DIR / "NotoSansCJKsc-Regular-subset.otf"
BOLD_FONT = FONT_DIR / "NotoSansCJKsc-Bold-subset.otf"
MISSING_GLYPH = "□"  # printed for a character the font lacks

FAMILY = "cjk"
NONE = "—"  # an empty field

# Layout, in millimetres and points.
MARGIN = 11.0
FOOTER = 8.0  # room kept at the bottom of each page for the footer
LINE = 4.4  # height of a line of text in a box
PAD_X = 1.6  # inside a box, left and right
PAD_Y = 0.9  # inside a box, above and below the text
TEXT_PT = 9.0
HEAD_PT = 10.0
LABEL_W = 36.0
SPLIT_FROM = 4  # a row of more lines may start at a page's foot and go on on the next page
KEEP_LINES = 2  # … keeping at least this many lines on each  # the label column of label/value rows

GREY_LABEL = 242
GREY_HEAD = 218
BORDER = 90
RED = (180, 20, 20)


@dataclass(frozen=True)
class OwnerCopy:
    """What the owner's copy prints. Names are display names (the service resolves them);
    times are printed in ``tz`` as ``YYYY-MM-DD HH:MM``."""

    case: Case
    record: ServiceRecord
    crew_code: str
    crew_plate: str
    recorded_by_name: str
    acceptance_recorded_by_name: str
    centre_name: str  # "" = none printed
    tz: ZoneInfo
    printed_at: datetime


def owner_copy_pdf(copy: OwnerCopy, *, lang: str = "zh_CN") -> bytes:
    """The owner's copy of ``copy.record`` as the bytes of a PDF, labelled in ``lang``
    (``zh_CN`` or ``en``; others raise ``ValueError``)."""
    with language(lang):
        form = _Form(copy)
        form.render()
        return form.output()


# -- formatting ---------------------------------------------------------------------------


def _when(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value is not None else NONE


def _money(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def _number(value: Decimal) -> str:
    """``12.50`` → ``12.5``, ``30.0`` → ``30``."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _text(value: str) -> str:
    return value.strip() or NONE


# -- line breaking ------------------------------------------------------------------------

# Characters a line may break before or after: CJK ideographs, kana, hangul, CJK and
# full-width punctuation, and the □ printed for a missing glyph. Other text breaks at spaces.
_CJK = (
    "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u25a1\U00020000-\U0003ffff"
)
_TOKEN = re.compile(rf"[ \u3000]+|[^\s{_CJK}]+|[{_CJK}]|\S")
# No line starts with these (they stay with the character before) …
_NO_START = set("，。、；：？！）」』】》〉〕］｝’”…—·％,.;:?!)]}%")
# … and none ends with these (they go with the character after).
_NO_END = set("（「『【《〈〔［｛‘“([{")


def wrap_text(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """``text`` in lines no wider than ``width`` (as ``measure`` tells): Chinese breaks
    between characters, other text between words (a word wider than a line is cut), no line
    starts with a closing mark (，。）》…) nor ends with an opening one (（《“); a line break
    in ``text`` is kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        used = 0.0
        for token in _TOKEN.findall(paragraph):
            size = measure(token)
            if token.isspace():
                if line:
                    line.append(token)
                    used += size
                continue
            if used + size <= width:
                line.append(token)
                used += size
                continue
            if not "".join(line).strip():
                # Alone wider than a line: cut it between characters.
                line = []
                used = 0.0
                for char in token:
                    char_size = measure(char)
                    if line and used + char_size > width:
                        lines.append("".join(line).rstrip())
                        line, used = [], 0.0
                    line.append(char)
                    used += char_size
                continue
            while line and line[-1].isspace():
                line.pop()
            carry: list[str] = []
            if token[0] in _NO_START and len(line) > 1:
                carry.append(line.pop())
            while len(line) > 1 and line[-1][-1] in _NO_END:
                carry.insert(0, line.pop())
            lines.append("".join(line).rstrip())
            line = [*carry, token]
            used = sum(measure(part) for part in line)
        lines.append("".join(line).rstrip())
    return lines


# -- the form -----------------------------------------------------------------------------


@dataclass
class _Cell:
    """One box of a row: its text, width, look (label, value, head, strong, alert), align."""

    text: str
    width: float
    look: str = "value"
    align: str = "L"
    lines: list[str] = field(default_factory=list)


def _height(lines: int) -> float:
    return lines * LINE + 2 * PAD_Y


class _Form:
    """Draws the form on an fpdf2 document. Page breaks are ours (automatic breaks are off):
    a row that fits on a page is never cut, a taller one is split between two lines; a
    section heading and a table's header row stay with the row after them, and come again,
    "(continued)", at the top of the next page when a section goes on there."""

    def __init__(self, copy: OwnerCopy) -> None:
        from fpdf import FPDF
        from fpdf.fonts import TTFFont

        self.copy = copy
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(False)
        pdf.c_margin = PAD_X
        pdf.add_font(FAMILY, "", str(REGULAR_FONT))
        pdf.add_font(FAMILY, "B", str(BOLD_FONT))
        # A glyph the bold subset lacks is taken from the regular face.
        pdf.set_fallback_fonts([FAMILY], exact_match=False)
        pdf.set_creation_date(copy.printed_at)
        pdf.set_title(f"{_('Rescue service record')} {copy.case.number}")
        pdf.set_creator("callcenter")
        pdf.set_draw_color(BORDER)
        pdf.set_line_width(0.25)
        self.pdf: FPDF = pdf
        regular = pdf.fonts[FAMILY]
        assert isinstance(regular, TTFFont)
        self.glyphs: set[int] = set(regular.cmap)
        self.width = pdf.w - 2 * MARGIN
        self.bottom = pdf.h - MARGIN - FOOTER
        # Rows drawn again at the top of a new page (a section's heading, a table's header),
        # and rows waiting to be drawn together with the next one.
        self.repeat: list[list[_Cell]] = []
        # (row, the row to repeat on new pages once it is drawn, if any)
        self.pending: list[tuple[list[_Cell], list[_Cell] | None]] = []

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    # -- drawing primitives

    def printable(self, text: str) -> str:
        """``text`` with what the font cannot print replaced (□), spaces other than the
        ideographic one made plain spaces, and control and zero-width characters dropped."""
        kept: list[str] = []
        for c in text.replace("\r\n", "\n").replace("\r", "\n"):
            if c == "\n" or c == "\u3000":
                kept.append(c)
            elif c.isspace():
                kept.append(" ")
            elif c.isprintable():
                kept.append(c if ord(c) in self.glyphs else MISSING_GLYPH)
        return "".join(kept)

    def font(self, look: str) -> None:
        pdf = self.pdf
        bold = look in ("head", "strong", "alert", "title")
        size = {"head": HEAD_PT, "title": 16.0, "small": 8.0}.get(look, TEXT_PT)
        pdf.set_font(FAMILY, "B" if bold else "", size)
        pdf.set_text_color(*(RED if look == "alert" else (0, 0, 0)))

    def wrapped(self, cells: list[_Cell]) -> list[_Cell]:
        for cell in cells:
            self.font(cell.look)
            inner = cell.width - 2 * PAD_X
            cell.lines = wrap_text(self.printable(cell.text), inner, self.pdf.get_string_width)
        return cells

    @staticmethod
    def lines(cells: list[_Cell]) -> int:
        return max(len(cell.lines) for cell in cells)

    def new_page(self) -> None:
        pdf = self.pdf
        pdf.add_page()
        self.font("small")
        pdf.set_text_color(110)
        pdf.set_xy(MARGIN, pdf.h - MARGIN - 5)
        footer = _("Case {number} · page {page} of {pages}").format(
            number=self.copy.case.number, page=pdf.page_no(), pages="{nb}"
        )
        pdf.cell(self.width, 5, footer, align="C")
        pdf.set_text_color(0)
        pdf.set_xy(MARGIN, MARGIN)
        for cells in self.repeat:
            self.draw_row(cells, 0, self.lines(cells))

    def row(self, cells: list[_Cell]) -> None:
        """Boxes side by side, as tall as the tallest, below the rows pending. A row of up
        to SPLIT_FROM lines is drawn whole (on the next page if need be); a longer one fills
        the page and goes on on the next, KEEP_LINES lines at least on either side."""
        pdf = self.pdf
        count = self.lines(self.wrapped(cells))
        done = 0
        while done < count:
            pending = sum(_height(self.lines(row)) for row, _r in self.pending)
            top = MARGIN + sum(_height(self.lines(row)) for row in self.repeat)
            page_lines = int((self.bottom - top - pending - 2 * PAD_Y) // LINE)
            fit = int((self.bottom - pdf.get_y() - pending - 2 * PAD_Y + 1e-6) // LINE)
            left = count - done
            if fit < left and left > SPLIT_FROM and fit >= KEEP_LINES:
                # A long text goes on on the next page, with no line alone on either side.
                fit = min(fit, left - KEEP_LINES)
            elif fit < min(left, KEEP_LINES) or fit < left <= page_lines:
                self.new_page()
                continue
            for pending_row, repeat in self.pending:
                self.draw_row(pending_row, 0, self.lines(pending_row))
                if repeat is not None:
                    self.repeat.append(repeat)
            self.pending = []
            take = min(fit, left)
            self.draw_row(cells, done, take)
            done += take

    def draw_row(self, cells: Sequence[_Cell], first: int, count: int) -> None:
        pdf = self.pdf
        y = pdf.get_y()
        height = _height(count)
        x = MARGIN
        for cell in cells:
            grey = {"label": GREY_LABEL, "head": GREY_HEAD, "strong": GREY_LABEL}.get(cell.look)
            if grey is not None:
                pdf.set_fill_color(grey)
            if cell.look == "alert":
                pdf.set_draw_color(*RED)
                pdf.set_line_width(0.6)
            pdf.rect(x, y, cell.width, height, style="DF" if grey is not None else "D")
            if cell.look == "alert":
                pdf.set_draw_color(BORDER)
                pdf.set_line_width(0.25)
            self.font(cell.look)
            for i, line in enumerate(cell.lines[first : first + count]):
                pdf.set_xy(x, y + PAD_Y + i * LINE)
                pdf.cell(cell.width, LINE, line, align=cell.align)
            x += cell.width
        pdf.set_xy(MARGIN, y + height)

    # -- form parts

    def section(self, title: str) -> None:
        """A section heading, drawn with the section's first row; "(continued)" on the
        pages the section goes on to."""
        self.repeat = []
        continued = _("{section} (continued)").format(section=title)
        self.pending = [
            (
                self.wrapped([_Cell(title, self.width, "head")]),
                self.wrapped([_Cell(continued, self.width, "head")]),
            )
        ]

    def pairs(self, *pairs: tuple[str, str]) -> None:
        """Label/value boxes, two pairs to a row (one pair: the value takes the width)."""
        if len(pairs) == 1:
            label, value = pairs[0]
            self.row([_Cell(label, LABEL_W, "label"), _Cell(value, self.width - LABEL_W)])
            return
        value_w = (self.width - 2 * LABEL_W) / 2
        cells: list[_Cell] = []
        for label, value in pairs:
            cells += [_Cell(label, LABEL_W, "label"), _Cell(value, value_w)]
        self.row(cells)

    def text_box(self, text: str) -> None:
        self.row([_Cell(text, self.width)])

    def table(
        self,
        columns: Sequence[tuple[str, float, str]],
        rows: Sequence[Sequence[str]],
        *,
        strong_last: bool = False,
    ) -> None:
        """A table: ``columns`` are (heading, share of the width, align); the header row is
        drawn again on the pages the table goes on to."""
        total = sum(share for _h, share, _a in columns)
        widths = [self.width * share / total for _h, share, _a in columns]
        header = [
            _Cell(heading, w, "label", "C")
            for (heading, _s, _a), w in zip(columns, widths, strict=True)
        ]
        self.pending.append((self.wrapped(header), self.wrapped(header)))
        for i, row in enumerate(rows):
            look = "strong" if strong_last and i == len(rows) - 1 else "value"
            self.row(
                [
                    _Cell(text, w, look, align)
                    for text, w, (_h, _s, align) in zip(row, widths, columns, strict=True)
                ]
            )
        self.repeat = self.repeat[:1]

    def gap(self, height: float = 2.0) -> None:
        self.pdf.set_y(self.pdf.get_y() + height)

    # -- the whole form

    def render(self) -> None:
        self.new_page()
        self.header()
        self.banner()
        self.the_call()
        self.the_times()
        self.the_crew()
        self.the_work()
        self.the_parts()
        self.the_fees()
        self.the_acceptance()
        self.signatures()

    def header(self) -> None:
        pdf, copy = self.pdf, self.copy
        if copy.centre_name.strip():
            self.font("head")
            pdf.cell(self.width, 6, self.printable(copy.centre_name.strip()), align="C")
            pdf.ln(6)
        self.font("title")
        pdf.cell(self.width, 9, _("Rescue service record"), align="C")
        pdf.ln(9)
        number = _("Case No. {number}").format(number=copy.case.number or NONE)
        printed = _("Printed {time}").format(time=_when(copy.printed_at, copy.tz))
        third = self.width / 3
        self.font("strong")
        pdf.cell(third, 6, self.printable(number), align="L")
        self.font("value")
        pdf.cell(third, 6, _("Owner's copy"), align="C")
        pdf.cell(third, 6, printed, align="R")
        pdf.ln(7)

    def banner(self) -> None:
        """Not a valid service: said first, in red, where nobody can miss it."""
        record = self.copy.record
        lines = []
        if record.voided_at is not None:
            lines.append(
                _("VOIDED on {time}: {reason}").format(
                    time=_when(record.voided_at, self.copy.tz), reason=_text(record.void_reason)
                )
            )
        if not record.accepted:
            lines.append(_("Not accepted by the owner: invalid service"))
        if lines:
            self.row([_Cell("\n".join(lines), self.width, "alert", "C")])
            self.gap()

    def the_call(self) -> None:
        case = self.copy.case
        self.section(_("Call details"))
        self.pairs(
            (_("Caller"), _text(case.caller_name)),
            (_("Phone"), format_phone(case.phone, case.phone_ext) or NONE),
        )
        self.pairs((_("Plate"), _text(case.plate)), (_("Vehicle model"), _text(case.vehicle_model)))
        self.pairs((_("Rescue location"), _text(case.address)))
        self.pairs((_("Fault reported"), _text(case.fault_description)))
        self.pairs(
            (_("Rescue plan"), case.plan.label),
            (_("Distance"), _("{km} km").format(km=_number(case.distance_km))),
        )
        self.gap()

    def the_times(self) -> None:
        case, record, tz = self.copy.case, self.copy.record, self.copy.tz
        self.section(_("Times"))
        self.pairs(
            (_("Call received"), _when(case.received_at, tz)),
            (_("Crew dispatched"), _when(case.dispatched_at, tz)),
        )
        self.pairs(
            (_("Arrived on scene"), _when(case.arrived_at, tz)),
            (_("Rescue completed"), _when(case.completed_at, tz)),
        )
        self.pairs(
            (_("Work started"), _when(record.work_started_at, tz)),
            (_("Work finished"), _when(record.work_finished_at, tz)),
        )
        self.gap()

    def the_crew(self) -> None:
        copy = self.copy
        self.section(_("Rescue crew"))
        self.pairs(
            (_("Crew code"), _text(copy.crew_code)), (_("Crew vehicle"), _text(copy.crew_plate))
        )
        self.pairs((_("Crew members"), _text(copy.record.crew_members)))
        self.gap()

    def the_work(self) -> None:
        record = self.copy.record
        self.section(_("Fault cause analysis"))
        self.text_box(_text(record.cause))
        self.gap()
        self.section(_("Solution"))
        self.text_box(_text(record.solution))
        self.gap()

    def the_parts(self) -> None:
        record = self.copy.record
        self.section(_("Parts replaced"))
        if record.no_parts or not record.parts:
            self.text_box(_("No parts replaced"))
        else:
            self.table(
                [
                    (_("#"), 1.0, "C"),
                    (_("Part name"), 6.0, "L"),
                    (_("Quantity"), 1.6, "R"),
                    (_("Part number"), 4.0, "L"),
                    (_("Genuine part"), 1.8, "C"),
                ],
                [
                    [
                        str(i),
                        _text(p.name),
                        str(p.quantity),
                        _text(p.part_number),
                        _yes_no(p.genuine),
                    ]
                    for i, p in enumerate(record.parts, 1)
                ],
            )
        self.gap()

    def the_fees(self) -> None:
        record = self.copy.record
        self.section(_("Fees"))
        rows = [
            [line.kind.label, _fee_details(line.kind, line.km), _money(line.amount)]
            for line in record.fees
        ]
        if not rows:
            rows.append([_("No charge"), "", _money(Decimal("0"))])
        rows.append([_("Total"), "", _money(record.total)])
        self.table(
            [(_("Item"), 3.0, "L"), (_("Details"), 5.0, "L"), (_("Amount"), 2.5, "R")],
            rows,
            strong_last=True,
        )
        self.pairs(
            (_("Tariff applied"), _text(policy_title(record.policy))),
            (_("Warranty"), _("In warranty") if record.in_warranty else _("Out of warranty")),
        )
        self.gap()

    def the_acceptance(self) -> None:
        copy, record = self.copy, self.copy.record
        self.section(_("Owner's acceptance"))
        method = record.acceptance_method.label if record.acceptance_method else NONE
        self.pairs((_("Owner accepted"), _yes_no(record.accepted)), (_("Accepted via"), method))
        self.pairs(
            (_("Accepted by"), _text(record.accepted_by)),
            (_("Accepted at"), _when(record.accepted_at, copy.tz)),
        )
        self.pairs(
            (_("Acceptance logged by"), _text(copy.acceptance_recorded_by_name)),
            (_("Form filled in by"), _text(copy.recorded_by_name)),
        )
        if record.voided_at is not None:
            self.pairs(
                (_("Voided at"), _when(record.voided_at, copy.tz)),
                (_("Void reason"), _text(record.void_reason)),
            )
        self.gap()

    def signatures(self) -> None:
        """Two boxes to sign in, kept together on one page."""
        pdf = self.pdf
        height = 20.0
        if pdf.get_y() + height > self.bottom:
            self.repeat = []
            self.new_page()
        half = self.width / 2
        y = pdf.get_y()
        for i, title in enumerate((_("Owner's signature"), _("Crew's signature"))):
            x = MARGIN + i * half
            pdf.rect(x, y, half, height)
            self.font("strong")
            pdf.set_xy(x, y + PAD_Y)
            pdf.cell(half, LINE, title)
            self.font("value")
            pdf.set_xy(x, y + height - LINE - PAD_Y)
            pdf.cell(half, LINE, _("Date:"))
            pdf.line(x + 18, y + height - PAD_Y - 1, x + half - 4, y + height - PAD_Y - 1)
        pdf.set_xy(MARGIN, y + height)


def _fee_details(kind: FeeKind, km: Decimal | None) -> str:
    if kind is FeeKind.TOWING and km is not None:
        return _("{km} km towed").format(km=_number(km))
    return ""
