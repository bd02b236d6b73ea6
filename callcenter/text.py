"""Text typed or imported is data: what may be stored, and how any that slipped in is shown.

A terminal obeys control characters: an ESC in a caller's name can set the window title, wipe
the screen or move the cursor of every operator who looks at the case. So no text field stores
C0 controls (tab and line feed only where a field is multi-line), DEL or C1 controls, and none
stores the invisible characters that change how text reads — bidi overrides and isolates
(U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C) and zero-width characters (U+200B–U+200D,
U+2060, U+FEFF). :func:`forbidden` finds them for the services' field checks (and the storage
layer's last check before a write); :func:`visible` is the one helper every screen shows stored
text through, turning any that are already stored into visible symbols (``␛``, ``⟨U+202E⟩``).
"""

from __future__ import annotations

import re

__all__ = ["FORBIDDEN", "forbidden", "visible"]

_INVISIBLE = "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
#: Never stored, whatever the field.
FORBIDDEN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
#: Never stored in a one-line field (also tab and line feed).
FORBIDDEN_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_SHOWN = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_SHOWN_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")


def forbidden(text: str, *, multiline: bool = False) -> str | None:
    """The first character of ``text`` that no field stores (tab and line feed are allowed
    where ``multiline``), or None."""
    found = (FORBIDDEN if multiline else FORBIDDEN_LINE).search(text)
    return found.group() if found else None


def _symbol(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (Unicode's control pictures)
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"⟨U+{code:04X}⟩"


def visible(text: str | None, *, multiline: bool = False) -> str:
    """``text`` as it may be shown: every control or invisible character as a visible symbol
    (tab and line feed kept where ``multiline``). Text without any comes back unchanged."""
    if not text:
        return ""
    pattern = _SHOWN if multiline else _SHOWN_LINE
    if pattern.search(text) is None:
        return text
    return pattern.sub(_symbol, text)
