"""What a search box's text means: one normalisation for every search (cases, customers).

An operator types what the caller says, the way the intake form accepts it: a landline with
its area code (``0755-8888 6666``), a mobile with spaces or ``+86``, full-width digits, a
plate with spaces or ``·`` in lower case, the case number as shown (``20261203-0003``).
Stored values are normalised (phones in E.164, plates in upper case without separators), so
the typed text is normalised the same way before it is compared: :func:`search_terms`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from callcenter import validation
from callcenter.errors import ValidationError

#: Dashes that NFKC leaves alone (the same set as the intake's).
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−⁃﹣"), "-")
_PHONE_LIKE = re.compile(r"\+?[\d\s\-().]+")
_NUMBER_RE = re.compile(r"(\d{8})\s*-?\s*(\d{1,4})")
_PLATE_SEPARATORS = re.compile(r"[\s·・•‧∙.\-_]+")
_PLATE_LIKE = re.compile(r"[A-Z0-9\u4e00-\u9fff]+")


@dataclass(frozen=True)
class SearchTerms:
    """The typed text and what it may stand for; each is compared with its own column."""

    #: The text as typed, NFKC-normalised and stripped (names, addresses: a substring).
    text: str
    #: Digits of a phone number as stored (E.164 without its ``+``), when the text is one:
    #: a whole number (``8675588886666``) or a fragment (``8888666``).
    phone: str = ""
    #: A plate (or part of one) as stored: upper case, no separators.
    plate: str = ""
    #: A case number as stored (``20261203-0003``), or its first part.
    number: str = ""
    #: The text is only a phone number (digits and separators): no name or address holds
    #: it, so those columns are not scanned.
    phone_only: bool = False
    #: The text is a whole valid plate: found by the plate's own (indexed) value.
    whole_plate: bool = False

    @property
    def empty(self) -> bool:
        return not (self.text or self.phone or self.plate or self.number)

    def __len__(self) -> int:
        """The length of the longest term (a search box waits for 2 characters)."""
        return max(len(self.text), len(self.phone), len(self.plate), len(self.number))


def normalise(typed: str) -> str:
    """NFKC (full-width digits and letters to ASCII), dashes unified, outer spaces off."""
    return unicodedata.normalize("NFKC", typed or "").translate(_DASHES).strip()


def search_terms(typed: str) -> SearchTerms:
    """What ``typed`` may stand for: see :class:`SearchTerms`."""
    text = normalise(typed)
    if not text:
        return SearchTerms("")
    phone = _phone_digits(text)
    number = _case_number(text)
    plate = _plate(text)
    phone_only = bool(phone) and _PHONE_LIKE.fullmatch(text) is not None
    whole_plate = False
    if plate:
        try:
            whole_plate = validation.normalize_plate(text) == plate
        except ValidationError:
            whole_plate = False
    return SearchTerms(text, phone, plate, number, phone_only, whole_plate)


def _phone_digits(text: str) -> str:
    if not _PHONE_LIKE.fullmatch(text) and not re.search(r"转|分机|ext|#", text, re.I):
        return ""
    try:
        return validation.parse_phone(text).e164.lstrip("+")
    except ValidationError:
        pass
    digits = re.sub(r"\D", "", text.split("转")[0])
    if len(digits) < 3:
        return ""
    if text.startswith("+"):
        return digits
    if digits.startswith("0086"):
        return digits[2:]
    if digits.startswith("86") and len(digits) > 11:
        return digits
    if digits.startswith("0"):  # a trunk prefix: stored after the country code
        return "86" + digits[1:]
    return digits


def _case_number(text: str) -> str:
    match = _NUMBER_RE.fullmatch(text)
    if match:
        day, seq = match.groups()
        return f"{day}-{int(seq):04d}" if len(seq) == 4 or "-" in text else f"{day}-{seq}"
    if re.fullmatch(r"\d{4,8}", text):
        return text  # the start of a number, a day
    return ""


def _plate(text: str) -> str:
    plate = _PLATE_SEPARATORS.sub("", text.upper())
    if not plate or not _PLATE_LIKE.fullmatch(plate):
        return ""
    if not any(ch.isascii() and ch.isalpha() for ch in plate) and not any(
        ch in validation.PROVINCES for ch in plate
    ):
        return ""  # digits or words only: not a plate
    return plate
