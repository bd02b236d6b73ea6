"""The monthly report as text, XLSX and PDF (headless, like the ledger's export).

Each exporter writes in ``lang`` (``zh_CN`` or ``en``) through :func:`callcenter.i18n.language`
— the running thread only — from the same :func:`~callcenter.reports.sections.sections`, and
ends with the definitions (the footer). XlsxWriter and fpdf2 are imported when a file is made.
"""

from __future__ import annotations

import io
from decimal import Decimal

from callcenter.i18n import _, language
from callcenter.reports.monthly import MonthlyReport
from callcenter.reports.sections import (
    COUNT,
    MINUTES,
    MONEY,
    PERCENT,
    Line,
    Section,
    Table,
    fmt_cell,
    footer,
    sections,
    title,
)

FORMATS = ("txt", "xlsx", "pdf")


def render(report: MonthlyReport, fmt: str, *, lang: str = "zh_CN") -> bytes:
    """The report in ``fmt`` (``txt`` is UTF-8)."""
    if fmt == "txt":
        return to_text(report, lang=lang).encode("utf-8")
    if fmt == "xlsx":
        return to_xlsx(report, lang=lang)
    if fmt == "pdf":
        return to_pdf(report, lang=lang)
    raise ValueError(fmt)


# -- text ----------------------------------------------------------------------------------


def table_line(table: Table, index: int) -> str:
    row = table.rows[index]
    values = _(", ").join(
        f"{header} {fmt_cell(cell, kind)}"
        for header, cell, kind in zip(table.headers[1:], row.cells, table.kinds, strict=True)
    )
    return _("{label}: {values}").format(label=row.label, values=values)


def to_text(report: MonthlyReport, *, lang: str = "zh_CN") -> str:
    """One figure a line, ``label figure`` (e.g. ``准时到达率 93.4%（412/441）``); a table's
    rows one a line under its title; the footer last."""
    with language(lang):
        out = [title(report), ""]
        for section in sections(report):
            out.append(f"[{section.title}]")
            out.extend(f"{line.label} {line.text}" for line in section.lines)
            for table in section.tables:
                if section.lines or len(section.tables) > 1:
                    out.append(f"{table.title}:" if lang != "zh_CN" else f"{table.title}：")
                if not table.rows:
                    out.append(f"  {_('none')}")
                out.extend(f"  {table_line(table, i)}" for i in range(len(table.rows)))
            out.append("")
        out.append(f"[{_('Definitions')}]")
        out.extend(f"- {text}" for text in footer(report))
        return "\n".join(out) + "\n"


# -- xlsx ----------------------------------------------------------------------------------

_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_name(text: str, taken: set[str]) -> str:
    name = text.translate(_FORBIDDEN).strip()[:31] or "Sheet"
    base, n = name, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


def _number(value: int | float | Decimal | None, kind: str) -> float | int | None:
    if value is None:
        return None
    if kind == PERCENT:
        return float(value) / 100
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_xlsx(report: MonthlyReport, *, lang: str = "zh_CN") -> bytes:
    """One sheet per section (figure, value, count, of; then its tables), real numbers with
    number formats, and a last sheet of the definitions."""
    import xlsxwriter

    buffer = io.BytesIO()
    with language(lang):
        book = xlsxwriter.Workbook(buffer, {"in_memory": True})
        bold = book.add_format({"bold": True})
        head = book.add_format({"bold": True, "bg_color": "#DDDDDD", "border": 1})
        formats = {
            COUNT: book.add_format({"num_format": "#,##0"}),
            PERCENT: book.add_format({"num_format": "0.0%"}),
            MINUTES: book.add_format({"num_format": "0.0"}),
            MONEY: book.add_format({"num_format": "¥#,##0.00"}),
        }
        wrap = book.add_format({"text_wrap": True, "valign": "top"})
        taken: set[str] = set()
        for section in sections(report):
            _xlsx_section(book, section, taken, bold, head, formats)
        sheet = book.add_worksheet(_sheet_name(_("Definitions"), taken))
        sheet.set_column(0, 0, 100)
        sheet.write(0, 0, title(report), bold)
        for i, text in enumerate(footer(report), start=2):
            sheet.write_string(i, 0, text, wrap)
        book.set_properties({"title": title(report), "creator": "callcenter"})
        book.close()
    return buffer.getvalue()


def _xlsx_section(
    book: object,
    section: Section,
    taken: set[str],
    bold: object,
    head: object,
    formats: dict[str, object],
) -> None:
    sheet = book.add_worksheet(_sheet_name(section.title, taken))  # type: ignore[attr-defined]
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 3, 14)
    sheet.write(0, 0, section.title, bold)
    row = 2
    if section.lines:
        for col, text in enumerate((_("Figure"), _("Value"), _("Count"), _("Of"))):
            sheet.write_string(row, col, text, head)
        row += 1
        for line in section.lines:
            _xlsx_line(sheet, row, line, formats)
            row += 1
        row += 1
    for table in section.tables:
        sheet.write_string(row, 0, table.title, bold)
        row += 1
        for col, text in enumerate(table.headers):
            sheet.write_string(row, col, text, head)
        row += 1
        for item in table.rows:
            sheet.write_string(row, 0, item.label)
            for col, (cell, kind) in enumerate(zip(item.cells, table.kinds, strict=True), 1):
                value = _number(cell, kind)
                if value is None:
                    sheet.write_blank(row, col, None)
                else:
                    sheet.write_number(row, col, value, formats[kind])
            row += 1
        row += 1


def _xlsx_line(sheet: object, row: int, line: Line, formats: dict[str, object]) -> None:
    sheet.write_string(row, 0, line.label)  # type: ignore[attr-defined]
    value = _number(line.value, line.kind)
    if value is None:
        sheet.write_string(row, 1, "—")  # type: ignore[attr-defined]
    else:
        sheet.write_number(row, 1, value, formats[line.kind])  # type: ignore[attr-defined]
    if line.count is not None:
        sheet.write_number(row, 2, line.count, formats[COUNT])  # type: ignore[attr-defined]
    if line.of is not None:
        sheet.write_number(row, 3, line.of, formats[COUNT])  # type: ignore[attr-defined]


# -- pdf -----------------------------------------------------------------------------------

MARGIN = 15.0
LINE_H = 6.0
TEXT_PT = 10.0


def to_pdf(report: MonthlyReport, *, lang: str = "zh_CN") -> bytes:
    """A4: the title, each section's figures as label/value rows and its tables, then the
    definitions; the page number and the month at the foot of each page. The CJK font is
    the owner's copy's (``callcenter.records.pdf``)."""
    with language(lang):
        return _Pdf(report).render()


class _Pdf:
    def __init__(self, report: MonthlyReport) -> None:
        from fpdf import FPDF
        from fpdf.fonts import TTFFont

        from callcenter.records.pdf import BOLD_FONT, FAMILY, REGULAR_FONT

        self.report = report
        self.family = FAMILY
        heading = title(report)
        page_word = _("Page")

        class _Doc(FPDF):
            def footer(doc) -> None:
                doc.set_y(-12)
                doc.set_font(FAMILY, "", 8)
                doc.cell(0, 5, f"{heading} · {page_word} {doc.page_no()}", align="C")

        pdf = _Doc(orientation="P", unit="mm", format="A4")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=18)
        pdf.add_font(FAMILY, "", str(REGULAR_FONT))
        pdf.add_font(FAMILY, "B", str(BOLD_FONT))
        pdf.set_fallback_fonts([FAMILY], exact_match=False)
        pdf.set_creation_date(report.generated_at)
        pdf.set_title(heading)
        pdf.set_creator("callcenter")
        pdf.set_draw_color(150)
        regular = pdf.fonts[FAMILY]
        assert isinstance(regular, TTFFont)
        self.glyphs: set[int] = set(regular.cmap)
        self.pdf = pdf

    def printable(self, text: str) -> str:
        from callcenter.records.pdf import MISSING_GLYPH

        text = text.replace("\u2212", "-")  # the minus sign: the subset font lacks it
        return "".join(
            c if ord(c) in self.glyphs or c == " " else MISSING_GLYPH
            for c in text
            if c.isprintable()
        )

    def render(self) -> bytes:
        pdf = self.pdf
        pdf.add_page()
        pdf.set_font(self.family, "B", 16)
        pdf.cell(0, 10, self.printable(title(self.report)), new_x="LMARGIN", new_y="NEXT")
        for section in sections(self.report):
            self.section(section)
        self.heading(_("Definitions"))
        pdf.set_font(self.family, "", 8.5)
        width = pdf.w - 2 * MARGIN
        for text in footer(self.report):
            pdf.multi_cell(width, 4.6, self.printable(f"· {text}"), new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())

    def heading(self, text: str) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - 40:
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font(self.family, "B", 12)
        pdf.set_fill_color(225)
        pdf.cell(0, 8, self.printable(text), fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def section(self, section: Section) -> None:
        pdf = self.pdf
        self.heading(section.title)
        width = pdf.w - 2 * MARGIN
        label_w = width * 0.62
        for line in section.lines:
            pdf.set_font(self.family, "", TEXT_PT)
            pdf.cell(label_w, LINE_H, self.printable(line.label), border="B")
            pdf.cell(
                width - label_w,
                LINE_H,
                self.printable(line.text),
                border="B",
                align="R",
                new_x="LMARGIN",
                new_y="NEXT",
            )
        for table in section.tables:
            self.table(table, width)

    def table(self, table: Table, width: float) -> None:
        pdf = self.pdf
        pdf.ln(2)
        if pdf.get_y() > pdf.h - 40:
            pdf.add_page()
        pdf.set_font(self.family, "B", TEXT_PT)
        pdf.cell(0, LINE_H, self.printable(table.title), new_x="LMARGIN", new_y="NEXT")
        first = width * 0.46
        rest = (width - first) / max(1, len(table.kinds))
        widths = [first] + [rest] * len(table.kinds)
        pdf.set_fill_color(240)
        for i, header in enumerate(table.headers):
            pdf.cell(widths[i], LINE_H, self.printable(header), border=1, fill=True)
        pdf.ln(LINE_H)
        pdf.set_font(self.family, "", TEXT_PT)
        if not table.rows:
            pdf.cell(width, LINE_H, self.printable(_("none")), border=1)
            pdf.ln(LINE_H)
        for row in table.rows:
            pdf.cell(widths[0], LINE_H, self.printable(row.label), border=1)
            for i, (cell, kind) in enumerate(zip(row.cells, table.kinds, strict=True), 1):
                pdf.cell(
                    widths[i], LINE_H, self.printable(fmt_cell(cell, kind)), border=1, align="R"
                )
            pdf.ln(LINE_H)
