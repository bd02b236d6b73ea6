"""Make the CJK fonts shipped in ``callcenter/records/fonts/`` (run once; the result is committed).

The owner's copy PDF (``callcenter/records/pdf.py``) prints Chinese with Noto Sans CJK SC
(SIL Open Font License 1.1). The full faces are ~19 MB each; this keeps what a Chinese
service record prints and drops the rest:

- Regular: every character of GBK (GB2312's 6,763 hanzi and the rest of the 20,902 unified
  ideographs, so that uncommon characters of names print), ASCII, Latin-1, general
  punctuation, CJK symbols and punctuation, full-width forms;
- Bold (only the form's headings, which are our own labels): GB2312 and the same extras.
  A character missing from the bold face falls back to the regular one when printed.

No layout features (fpdf2 sets text without shaping) and no hinting (printing needs none).

Source: Debian's ``fonts-noto-cjk`` (``apt-get download fonts-noto-cjk``; ``dpkg-deb -x``),
``usr/share/fonts/opentype/noto/NotoSansCJK-{Regular,Bold}.ttc``; or upstream's
``NotoSansCJKsc-{Regular,Bold}.otf``. The face named "Noto Sans CJK SC" is taken.

    python scripts/subset_cjk_font.py NotoSansCJK-Regular.ttc NotoSansCJK-Bold.ttc
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

OUT = Path(__file__).resolve().parent.parent / "callcenter" / "records" / "fonts"
FAMILY = "Noto Sans CJK SC"

EXTRAS: set[int] = (
    set(range(0x20, 0x7F))  # ASCII
    | set(range(0xA0, 0x100))  # Latin-1 (¥ ° × ÷ …)
    | set(range(0x2000, 0x2070))  # general punctuation (— … ‘ ’ “ ” ※)
    | set(range(0x2100, 0x2150))  # letterlike (℃ №)
    | set(range(0x2190, 0x2200))  # arrows
    | set(range(0x2460, 0x24A0))  # enclosed numbers ①
    | set(range(0x25A0, 0x2600))  # geometric shapes (□ ■ ○ ●, □ stands for a missing glyph)
    | set(range(0x3000, 0x3040))  # CJK symbols and punctuation (、。《》【】〔〕)
    | set(range(0xFF00, 0xFFF0))  # half-width and full-width forms
)


def double_byte(codec: str) -> set[int]:
    """Every character a two-byte sequence of ``codec`` decodes to."""
    found: set[int] = set()
    for high in range(0x81, 0xFF):
        for low in range(0x40, 0xFF):
            try:
                text = bytes([high, low]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                found.add(ord(text))
    return found


def sc_face(path: Path) -> TTFont:
    if path.suffix.lower() in (".ttc", ".otc"):
        for font in TTCollection(str(path)).fonts:
            if font["name"].getDebugName(1) == FAMILY:
                return font
        raise SystemExit(f"{path}: no face named {FAMILY!r}")
    return TTFont(str(path))


def make(source: Path, codepoints: set[int], target: Path) -> None:
    font = sc_face(source)
    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recommended_glyphs = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    font.save(str(target))
    kept = len(font.getBestCmap())
    print(f"{target.name}: {kept} characters, {target.stat().st_size:,} bytes")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    regular, bold = map(Path, argv)
    make(regular, EXTRAS | double_byte("gbk"), OUT / "NotoSansCJKsc-Regular-subset.otf")
    make(bold, EXTRAS | double_byte("gb2312"), OUT / "NotoSansCJKsc-Bold-subset.otf")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
