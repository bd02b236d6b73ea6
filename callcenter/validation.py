"""Validation and normalisation of what an agent types into the call intake form.

Every function takes the raw text of one field and either returns the normalised value or
raises :class:`~callcenter.errors.ValidationError` naming the field, with a message (translated
at call time) that says what is wrong and, where possible, how to fix it.

Pure Python plus ``phonenumbers``: no Textual, no SQLAlchemy.

Decisions on ambiguous input (kept in sync with ``tests/unit/test_validation.py``):

* All text is normalised with Unicode NFKC first, so full-width digits, letters and
  punctuation (``１３８``, ``（０１０）``, ``＋８６``, ``：``) behave like their ASCII forms.
* Phone numbers are checked against Google's ``phonenumbers`` metadata, so a landline must
  have the right number of digits for its area code (Shenzhen 0755 numbers have 8 digits:
  ``0755-1234567`` is refused as a likely missing digit, ``0391-2345678`` is accepted).
  A foreign number is accepted when written with ``+`` or ``00`` and valid in its own
  country; a number without a prefix is read as a number of ``region``.
* ``-123`` after a landline or 400/800 number is an extension only when the digits before
  it form a valid number and the whole run of digits does not; when both readings are valid
  the input is refused and the agent asked to write ``转123``. After a mobile number a dash
  extension is refused with the same advice (mobiles only take explicit ``转``/``ext``).
* Distances with more than two decimals are rounded half-up to 0.01 km (a measurement);
  fees with more than two decimals are refused (money has no fraction of a fen). In both,
  a comma is accepted only as a thousands separator (``1,000``); ``12,5`` is refused.
* An agreed arrival typed as a bare time is today, or tomorrow when that minute has
  already passed; ``今天``/``明天`` (today/tomorrow) may be put in front. A full date in the
  past is refused unless ``allow_past``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from callcenter.errors import ValidationError
from callcenter.i18n import _
from callcenter.text import FORBIDDEN, FORBIDDEN_LINE

if TYPE_CHECKING:
    import phonenumbers
    from phonenumbers import shortnumberinfo
else:

    class _Lazy:
        """A module imported at its first use: Google's phone metadata (about 60 modules,
        a megabyte) is loaded by the sessions that check a number, not by every board."""

        def __init__(self, name: str) -> None:
            self._name = name

        def __getattr__(self, attr: str) -> Any:
            module = import_module(self._name)
            self.__dict__.update(vars(module))
            return getattr(module, attr)

    phonenumbers = _Lazy("phonenumbers")
    shortnumberinfo = _Lazy("phonenumbers.shortnumberinfo")

__all__ = [
    "NO_PLATE",
    "PROVINCES",
    "Phone",
    "PhoneKind",
    "PlateKind",
    "format_phone",
    "normalize_plate",
    "parse_coordinates",
    "parse_distance",
    "parse_fee",
    "parse_local_datetime",
    "parse_past_local_datetime",
    "parse_phone",
    "plate_kind",
    "require_text",
]

# Dashes that NFKC leaves alone but agents paste from documents and chat apps.
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−⁃﹣"), "-")


def _nfkc(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "").translate(_DASHES)


def _quote(text: str) -> str:
    return f"“{text}”"


# --------------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------------


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    TOLL_FREE = "toll_free"  # 400 and 800 service numbers (and foreign equivalents)


@dataclass(frozen=True, slots=True)
class Phone:
    """A caller's number: E.164 with the extension kept apart.

    ``display`` is the number grouped for reading (``138 1234 5678``, ``010 1234 5678``,
    ``400 820 8820``; international format for a foreign number), without the extension;
    :func:`format_phone` adds the extension in the current interface language.
    """

    e164: str
    extension: str
    kind: PhoneKind
    display: str


_PHONE_FIELD = "phone"
_MAX_EXTENSION = 6

# An explicit extension at the end: 转123, 分机 123, ext. 123, x123, #123, ,123 (the dial pause),
# optionally inside brackets: (转123).
_EXTENSION_RE = re.compile(
    r"[\s\-]*[(\[]?\s*(?P<marker>转|分机号?|extension|ext\.?|x|#|,)\s*[:.]?\s*(?P<digits>\d*)"
    r"\s*[)\]]?\s*$",
    re.IGNORECASE,
)
_EXTENSION_MARKER_RE = re.compile(r"转|分机|ext|#", re.IGNORECASE)
# Separators between several numbers typed into one field.
_MULTIPLE_RE = re.compile(r"[/;、|]|或|和")
_PHONE_ALLOWED_RE = re.compile(r"[\d\s+\-().]*")
# Short numbers: 110, 114, 10086, 12345, 12122, 95588, 95105105, 96110 ...
_SHORT_RE = re.compile(r"1\d{2,4}|9[56]\d{3,6}")
# Police, fire, ambulance, traffic police, the GSM emergency number, Beijing's 999 ambulance.
_CN_EMERGENCY = frozenset({"110", "112", "119", "120", "122", "999"})


@cache
def _kinds() -> dict[int, PhoneKind]:
    kind = phonenumbers.PhoneNumberType
    return {
        kind.MOBILE: PhoneKind.MOBILE,
        kind.FIXED_LINE_OR_MOBILE: PhoneKind.MOBILE,
        kind.PERSONAL_NUMBER: PhoneKind.MOBILE,
        kind.FIXED_LINE: PhoneKind.LANDLINE,
        kind.VOIP: PhoneKind.LANDLINE,
        kind.UAN: PhoneKind.LANDLINE,
        kind.TOLL_FREE: PhoneKind.TOLL_FREE,
        kind.SHARED_COST: PhoneKind.TOLL_FREE,  # China's 400 numbers
    }


def _phone_error(message: str) -> ValidationError:
    return ValidationError(_PHONE_FIELD, message)


def parse_phone(text: str, region: str = "CN") -> Phone:
    """Parse a caller's phone number typed in any common Chinese way.

    ``region`` is the country of a number written without ``+``/``00``.
    """
    raw = _nfkc(text).strip()
    if not raw:
        raise _phone_error(_("Enter a phone number."))
    main, extension = _split_extension(raw)
    _check_phone_characters(main)
    if not re.sub(r"\D", "", main):
        raise _phone_error(_("Enter a phone number."))
    if not extension:
        main, extension = _split_dash_extension(main, region)
    number = _parse_number(main, region)
    if not phonenumbers.is_valid_number(number):
        raise _phone_error(_explain_invalid(number, region))
    kind = _kinds().get(phonenumbers.number_type(number))
    if kind is None:
        raise _phone_error(_("This kind of number cannot be used to call the customer back."))
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Phone(e164=e164, extension=extension, kind=kind, display=_display(number, region))


def format_phone(e164: str, ext: str = "", region: str = "CN") -> str:
    """``+861012345678`` → ``010 1234 5678``, with `` 转 123`` / `` ext. 123`` when ``ext``.

    Numbers of ``region`` are shown in national format, others in international format.
    Text that is not an E.164 number is shown unchanged.
    """
    try:
        number = phonenumbers.parse(e164, None)
        shown = _display(number, region)
    except phonenumbers.NumberParseException:
        shown = e164
    if ext:
        return _("{number} ext. {extension}").format(number=shown, extension=ext)
    return shown


def _display(number: phonenumbers.PhoneNumber, region: str) -> str:
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _extension_position_message() -> str:
    return _("Write the extension after the number, e.g. “010 1234 5678 转 123”.")


def _split_extension(raw: str) -> tuple[str, str]:
    """Take an explicit extension (转123, ext 123, x123, #123, ,123) off the end."""
    match = _EXTENSION_RE.search(raw)
    if match is None:
        if _EXTENSION_MARKER_RE.search(raw):
            raise _phone_error(_extension_position_message())
        return raw, ""
    main, digits, marker = raw[: match.start()], match["digits"], match["marker"]
    if marker == "," and len(digits) > _MAX_EXTENSION:
        raise _phone_error(_("Enter one phone number only."))
    if marker.lower() == "x" and not re.search(r"\d", main):
        # "x" on its own is a letter, not an extension marker.
        raise _phone_error(_("A phone number cannot contain letters."))
    if not digits or len(digits) > _MAX_EXTENSION:
        raise _phone_error(_("An extension has 1 to 6 digits."))
    if _EXTENSION_MARKER_RE.search(main):
        raise _phone_error(_extension_position_message())
    return main.strip(), digits


def _check_phone_characters(main: str) -> None:
    if _MULTIPLE_RE.search(main) or re.search(r"\d[\s\-]*,[\s\-]*\d", main):
        raise _phone_error(_("Enter one phone number only."))
    if re.search(r"[A-Za-z]", main):
        raise _phone_error(_("A phone number cannot contain letters."))
    if not _PHONE_ALLOWED_RE.fullmatch(main):
        bad = next(c for c in main if not _PHONE_ALLOWED_RE.fullmatch(c))
        raise _phone_error(
            _("A phone number cannot contain {character}.").format(character=_quote(bad))
        )
    if "+" in main.lstrip(" (")[1:]:
        raise _phone_error(_("“+” can only come at the start of the number."))


def _try_valid(text: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        number = _parse_number(text, region)
    except ValidationError:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def _split_dash_extension(main: str, region: str) -> tuple[str, str]:
    """``010-12345678-123``: the last dash group is an extension when that is unambiguous."""
    head, dash, tail = main.rpartition("-")
    tail = tail.strip()
    if not dash or not tail.isdigit() or len(tail) > _MAX_EXTENSION:
        return main, ""
    head_number = _try_valid(head, region)
    if head_number is None:
        return main, ""
    whole_valid = _try_valid(main, region) is not None
    kind = _kinds().get(phonenumbers.number_type(head_number))
    if kind is PhoneKind.MOBILE:
        if whole_valid:
            return main, ""
        raise _phone_error(
            _("If {extension} is an extension, write it as “转{digits}”.").format(
                extension=_quote("-" + tail), digits=tail
            )
        )
    if whole_valid:
        raise _phone_error(
            _(
                "Unclear whether {extension} is an extension: write it as “转{digits}”, "
                "or remove the dash."
            ).format(extension=_quote("-" + tail), digits=tail)
        )
    return head.strip(), tail


def _parse_number(main: str, region: str) -> phonenumbers.PhoneNumber:
    digits = re.sub(r"\D", "", main)
    if len(digits) < 3:
        raise _phone_error(_("Too short for a phone number."))
    if len(digits) > 17:
        raise _phone_error(_("Too long for a phone number."))
    plus = "+" if main.lstrip(" (").startswith("+") else ""
    try:
        return phonenumbers.parse(plus + digits, region, keep_raw_input=True)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            raise _phone_error(_("Unknown country code.")) from None
        if exc.error_type == phonenumbers.NumberParseException.TOO_LONG:
            raise _phone_error(_("Too long for a phone number.")) from None
        raise _phone_error(_("Too short for a phone number.")) from None


def _national_digits(number: phonenumbers.PhoneNumber) -> str:
    """The digits typed after the country code (with a trunk ``0`` if one was typed)."""
    digits = re.sub(r"\D", "", number.raw_input or "")
    source = number.country_code_source
    cc = str(number.country_code)
    if source == phonenumbers.CountryCodeSource.FROM_NUMBER_WITH_IDD:
        digits = re.sub(r"^0+", "", digits)
    if source != phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY and digits.startswith(cc):
        digits = digits[len(cc) :]
    return digits


def _explain_invalid(number: phonenumbers.PhoneNumber, region: str) -> str:
    """Say why a parsed but invalid number was refused."""
    national = _national_digits(number)
    count = len(national)
    reason = phonenumbers.is_possible_number_with_reason(number)
    number_region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    if number_region == "ZZ":
        number_region = region
    if (
        number.country_code == 86 and national in _CN_EMERGENCY
    ) or shortnumberinfo.is_emergency_number(national, number_region):
        return _("{number} is an emergency number, not a caller's number.").format(number=national)
    if (
        number.country_code == 86 and _SHORT_RE.fullmatch(national)
    ) or shortnumberinfo.is_valid_short_number_for_region(number, number_region):
        return _("{number} is a short service number, not a caller's number.").format(
            number=national
        )
    if number.country_code == 86:
        if national.startswith("0"):
            if reason == phonenumbers.ValidationResult.TOO_SHORT:
                return _("Too short for a landline number with its area code.")
            if reason == phonenumbers.ValidationResult.TOO_LONG:
                return _("Too long for a landline number with its area code.")
            return _("Not a valid landline number: check the area code and the number of digits.")
        if count in (7, 8) and national[0] in "23456789":
            return _(
                "A landline number needs its area code, e.g. “010 1234 5678” or “0755 1234 5678”."
            )
        if national.startswith(("400", "800")):
            return _("400 and 800 numbers have 10 digits; this one has {count}.").format(
                count=count
            )
        if national.startswith("1") and not (national.startswith("10") and count in (9, 10)):
            if count != 11:
                return _("A mobile number has 11 digits; this one has {count}.").format(count=count)
            return _("Not a valid mobile number: {prefix} is not a mobile prefix.").format(
                prefix=national[:3]
            )
    if reason == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
        return _("Unknown country code.")
    if reason == phonenumbers.ValidationResult.TOO_LONG:
        return _("Too long for a phone number.")
    if reason == phonenumbers.ValidationResult.TOO_SHORT or count < 7:
        return _("Too short for a phone number.")
    return _("Not a valid phone number.")


# --------------------------------------------------------------------------------------------
# Vehicle plates (GA 36-2018)
# --------------------------------------------------------------------------------------------

NO_PLATE = "无牌"
"""The plate of a vehicle that has none (or only a temporary one): an explicit choice."""

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

_NO_PLATE_WORDS = frozenset(
    {
        "无牌",
        "无",
        "无车牌",
        "无牌照",
        "无号牌",
        "没牌",
        "没有车牌",
        "没有牌照",
        "未上牌",
        "临时",
        "临牌",
        "临时牌",
        "临时牌照",
        "临时号牌",
        "NONE",
        "NOPLATE",
        "NO",
        "NA",
        "N/A",
        "TEMP",
        "TEMPORARY",
        "TEMPORARYPLATE",
        "TEMPPLATE",
    }
)


class PlateKind(StrEnum):
    STANDARD = "standard"
    NEW_ENERGY = "new_energy"
    TRAILER = "trailer"  # 挂
    COACH = "coach"  # 学
    POLICE = "police"  # 警
    HONG_KONG = "hong_kong"  # 粤Z….港
    MACAU = "macau"  # 粤Z….澳
    EMBASSY = "embassy"  # 使
    CONSULATE = "consulate"  # 领
    NONE = "none"  # NO_PLATE


_PLATE_FIELD = "plate"
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, no O
_SUFFIXES = {
    "挂": PlateKind.TRAILER,
    "学": PlateKind.COACH,
    "警": PlateKind.POLICE,
    "港": PlateKind.HONG_KONG,
    "澳": PlateKind.MACAU,
    "领": PlateKind.CONSULATE,
}
_SEPARATORS_RE = re.compile(r"[\s·・•‧∙.\-_]+")
_SERIAL_RE = re.compile(r"[A-HJ-NP-Z0-9]")
_NEV_SMALL_RE = re.compile(rf"[{PROVINCES}][A-HJ-NP-Z][DABCEFGHJK][A-HJ-NP-Z0-9]\d{{4}}")
_NEV_LARGE_RE = re.compile(rf"[{PROVINCES}][A-HJ-NP-Z]\d{{5}}[DF]")
_EMBASSY_RE = re.compile(r"使\d{6}|\d{6}使")


def _plate_error(message: str) -> ValidationError:
    return ValidationError(_PLATE_FIELD, message)


def normalize_plate(text: str, *, allow_none: bool = False) -> str:
    """``粤b·12345`` → ``粤B12345``; the no-plate words → :data:`NO_PLATE` if ``allow_none``."""
    plate = _SEPARATORS_RE.sub("", _nfkc(text).upper())
    if not plate:
        if allow_none:
            raise _plate_error(_("Enter the plate number, or choose “no plate” explicitly."))
        raise _plate_error(_("Enter the plate number."))
    if plate in _NO_PLATE_WORDS:
        if allow_none:
            return NO_PLATE
        raise _plate_error(_("A plate number is required here."))
    _check_plate(plate)
    return plate


def plate_kind(plate: str) -> PlateKind:
    """The kind of a plate (normalising it first); raises ``ValidationError`` if invalid."""
    plate = normalize_plate(plate, allow_none=True)
    if plate == NO_PLATE:
        return PlateKind.NONE
    if plate.startswith("使") or plate.endswith("使"):
        return PlateKind.EMBASSY
    if plate[-1] in _SUFFIXES:
        return _SUFFIXES[plate[-1]]
    if len(plate) == 8:
        return PlateKind.NEW_ENERGY
    return PlateKind.STANDARD


def _check_plate(plate: str) -> None:
    allowed = set(PROVINCES) | set(_SUFFIXES) | {"使"}
    for index, char in enumerate(plate):
        if (char.isascii() and char.isalnum()) or char in allowed:
            continue
        if index == 0 and unicodedata.category(char) == "Lo":
            raise _plate_error(
                _("Unknown province abbreviation {abbreviation}.").format(abbreviation=_quote(char))
            )
        raise _plate_error(_("A plate cannot contain {character}.").format(character=_quote(char)))
    if "I" in plate or "O" in plate:
        raise _plate_error(_("The letters I and O are not used on plates: did you mean 1 or 0?"))
    if "使" in plate:
        if _EMBASSY_RE.fullmatch(plate):
            return
        raise _plate_error(_("An embassy plate is “使” and 6 digits, e.g. “使014578”."))
    head = plate[0]
    if head not in PROVINCES:
        if head.isascii():
            raise _plate_error(_("A plate starts with a province abbreviation such as 京 or 粤."))
        raise _plate_error(
            _("Unknown province abbreviation {abbreviation}.").format(abbreviation=_quote(head))
        )
    if len(plate) >= 2 and plate[1] not in _LETTERS:
        raise _plate_error(
            _("The second character of a plate is a letter (the issuing office), e.g. 粤B.")
        )
    last = plate[-1]
    for char in plate[2:-1] if last in _SUFFIXES else plate[2:]:
        if char in PROVINCES:
            raise _plate_error(
                _("{character} can only be the first character of a plate.").format(
                    character=_quote(char)
                )
            )
        if not _SERIAL_RE.fullmatch(char):
            raise _plate_error(
                _("{character} can only be the last character of a plate.").format(
                    character=_quote(char)
                )
            )
    if last in _SUFFIXES and len(plate) > 2:
        if len(plate) != 7:
            raise _plate_error(
                _("A plate ending in {suffix} has 7 characters, e.g. {example}.").format(
                    suffix=_quote(last), example=_quote(f"{plate[:2]}1234{last}")
                )
            )
        if last in "港澳" and not plate.startswith("粤Z"):
            raise _plate_error(_("Hong Kong and Macau plates start with 粤Z."))
        return
    if len(plate) == 7:
        return  # province, letter and 5 serial characters, all checked above
    if len(plate) == 8:
        if _NEV_SMALL_RE.fullmatch(plate) or _NEV_LARGE_RE.fullmatch(plate):
            return
        raise _plate_error(
            _(
                "Not a valid new-energy plate: after the letter comes D, A, B, C, E, F, G, H, "
                "J or K, a letter or digit and 4 digits (small vehicles), or 5 digits and D or "
                "F (large vehicles)."
            )
        )
    raise _plate_error(
        _(
            "Wrong length: a plate has 7 characters (8 for new-energy vehicles); "
            "this one has {count}."
        ).format(count=len(plate))
    )


# --------------------------------------------------------------------------------------------
# Numbers: distance and fee
# --------------------------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED_RE = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_CENT = Decimal("0.01")
_DISTANCE_UNITS_RE = re.compile(r"(?:km|kms|kilometres?|kilometers?|公里|千米)$", re.IGNORECASE)
_METRE_UNITS_RE = re.compile(r"(?:m|米|metres?|meters?)$", re.IGNORECASE)
_FEE_PREFIX_RE = re.compile(r"^(?:¥|RMB|CNY)", re.IGNORECASE)
_FEE_SUFFIX_RE = re.compile(r"(?:元|块|RMB|CNY|yuan)$", re.IGNORECASE)
MAX_DISTANCE_KM = Decimal("1000")
MAX_FEE = Decimal("100000")


def _decimal(field: str, text: str) -> Decimal:
    """Parse a plain decimal (units already removed); thousands commas allowed."""
    if "," in text:
        if not _GROUPED_RE.fullmatch(text):
            raise ValidationError(field, _("Use a decimal point, not a comma, e.g. “12.5”."))
        text = text.replace(",", "")
    if not _NUMBER_RE.fullmatch(text):
        raise ValidationError(field, _("Enter a number, e.g. “12.5”."))
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
        raise ValidationError(field, _("Enter a number, e.g. “12.5”.")) from None
    if value < 0:
        raise ValidationError(field, _("Cannot be negative."))
    return value + 0  # turns -0 into 0


def _number_text(text: str) -> str:
    return re.sub(r"\s+", "", _nfkc(text)).replace("。", ".")


def parse_distance(text: str, field: str = "distance_km") -> Decimal:
    """Kilometres, 0 to 1000: ``12``, ``12.5``, ``１２.５公里``, ``12 km``; rounded to 0.01."""
    cleaned = _number_text(text)
    if not cleaned:
        raise ValidationError(field, _("Enter the distance in kilometres."))
    cleaned = _DISTANCE_UNITS_RE.sub("", cleaned)
    if _METRE_UNITS_RE.search(cleaned):
        raise ValidationError(field, _("Enter the distance in kilometres, e.g. “0.5” for 500 m."))
    value = _decimal(field, cleaned)
    if value > MAX_DISTANCE_KM:
        raise ValidationError(field, _("A distance is at most 1000 km."))
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def parse_fee(text: str, field: str = "fee_quote") -> Decimal:
    """Yuan, 0 to 100000 with at most 2 decimals: ``350``, ``¥1,200.50``, ``80元``."""
    cleaned = _number_text(text)
    if not cleaned:
        raise ValidationError(field, _("Enter the amount in yuan."))
    cleaned = _FEE_SUFFIX_RE.sub("", _FEE_PREFIX_RE.sub("", cleaned))
    value = _decimal(field, cleaned)
    if value != value.quantize(_CENT):
        raise ValidationError(field, _("An amount has at most 2 decimals (fen)."))
    if value > MAX_FEE:
        raise ValidationError(field, _("An amount is at most 100,000 yuan."))
    return value.quantize(_CENT)


# --------------------------------------------------------------------------------------------
# Date and time of an agreed arrival
# --------------------------------------------------------------------------------------------

_DAY_WORDS = {"今天": 0, "今日": 0, "TODAY": 0, "明天": 1, "明日": 1, "TOMORROW": 1}
_DAY_RE = "|".join(_DAY_WORDS)
_TIME_RE = r"(?P<hour>\d{1,2})(?:(?::|点|时)(?P<minute>\d{2})分?|(?:点|时)(?P<half>半)?)"
_TIME_ONLY_RE = re.compile(rf"(?:(?P<day>{_DAY_RE})\s*)?{_TIME_RE}", re.IGNORECASE)
_DATE_TIME_RE = re.compile(
    r"(?P<year>\d{4})(?P<sep>[-/.年])(?P<month>\d{1,2})(?:[-/.月])(?P<dom>\d{1,2})日?"
    rf"\s*(?:T\s*)?{_TIME_RE}(?::(?P<second>\d{{2}}))?",
    re.IGNORECASE,
)


def parse_coordinates(text: str, field: str = "coordinates") -> tuple[float, float] | None:
    """``latitude, longitude`` in degrees (a full-width comma too); None when empty."""
    text = _nfkc(text).strip()
    if not text:
        return None
    try:
        lat_s, lon_s = (p.strip() for p in text.split(","))
        lat, lon = float(lat_s), float(lon_s)
    except ValueError:
        raise ValidationError(
            field, _("Coordinates are 'latitude, longitude', e.g. 22.54, 114.06.")
        ) from None
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (
        -90 <= lat <= 90 and -180 <= lon <= 180
    ):
        raise ValidationError(field, _("Coordinates out of range."))
    return lat, lon


def parse_local_datetime(
    text: str,
    tz: tzinfo | str,
    now: datetime,
    *,
    field: str = "agreed_arrival_at",
    allow_past: bool = False,
) -> datetime:
    """An instant typed in the centre's time zone ``tz``, returned as aware UTC.

    ``HH:MM`` (also ``14点30``, ``14点半``, ``9点``) means today, or tomorrow when that minute
    has already passed at ``now``; ``今天``/``明天`` in front fix the day. ``YYYY-MM-DD HH:MM``
    (also ``/`` or ``年月日``) is taken as given and refused if in the past, unless
    ``allow_past``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    cleaned = re.sub(r"\s+", " ", _nfkc(text)).strip()
    if not cleaned:
        raise ValidationError(field, _("Enter a time, e.g. “14:30” or “2025-03-01 14:30”."))
    local_now = now.astimezone(zone)
    this_minute = local_now.replace(second=0, microsecond=0)

    if match := _TIME_ONLY_RE.fullmatch(cleaned):
        clock = _clock(field, match)
        day_word = match["day"]
        if day_word:
            offset = _DAY_WORDS[day_word.upper()]
            result = _localize(field, local_now.date() + timedelta(days=offset), clock, zone)
            if result < this_minute and not allow_past:
                raise ValidationError(field, _("This time has already passed."))
        else:
            result = _localize(field, local_now.date(), clock, zone)
            if result < this_minute:
                result = _localize(field, local_now.date() + timedelta(days=1), clock, zone)
        return result.astimezone(UTC)

    if match := _DATE_TIME_RE.fullmatch(cleaned):
        try:
            day = date(int(match["year"]), int(match["month"]), int(match["dom"]))
        except ValueError:
            raise ValidationError(field, _("There is no such date.")) from None
        clock = _clock(field, match)
        if match["second"] is not None:
            if int(match["second"]) > 59:
                raise ValidationError(field, _("There is no such time of day."))
            clock = clock.replace(second=int(match["second"]))
        result = _localize(field, day, clock, zone)
        if result < this_minute and not allow_past:
            raise ValidationError(field, _("This time has already passed."))
        return result.astimezone(UTC)

    raise ValidationError(field, _("Enter a time, e.g. “14:30” or “2025-03-01 14:30”."))


def parse_past_local_datetime(
    text: str, tz: tzinfo | str, now: datetime, *, field: str, max_back: timedelta | None = None
) -> datetime:
    """An instant that has happened, typed in the centre's time zone ``tz``, as aware UTC.

    ``HH:MM`` (also ``14点30``) means the last time the clock showed it: today, or yesterday
    when that minute is still ahead of ``now``. ``YYYY-MM-DD HH:MM`` is taken as given. A time
    ahead of ``now`` (beyond the current minute) is refused; so is one more than ``max_back``
    ago (default 7 days), which is almost certainly a typing mistake.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    cleaned = re.sub(r"\s+", " ", _nfkc(text)).strip()
    if not cleaned:
        raise ValidationError(field, _("Enter a time, e.g. “14:30” or “2025-03-01 14:30”."))
    local_now = now.astimezone(zone)
    end_of_minute = local_now.replace(second=59, microsecond=999999)
    if (match := _TIME_ONLY_RE.fullmatch(cleaned)) and not match["day"]:
        clock = _clock(field, match)
        result = _localize(field, local_now.date(), clock, zone)
        if result > end_of_minute:
            result = _localize(field, local_now.date() - timedelta(days=1), clock, zone)
    elif match := _DATE_TIME_RE.fullmatch(cleaned):
        try:
            day = date(int(match["year"]), int(match["month"]), int(match["dom"]))
        except ValueError:
            raise ValidationError(field, _("There is no such date.")) from None
        result = _localize(field, day, _clock(field, match), zone)
        if result > end_of_minute:
            raise ValidationError(field, _("This time is still to come."))
    else:
        raise ValidationError(field, _("Enter a time, e.g. “14:30” or “2025-03-01 14:30”."))
    if now - result > (max_back or timedelta(days=7)):
        raise ValidationError(field, _("This is more than 7 days ago: check the date."))
    return result.astimezone(UTC)


def _clock(field: str, match: re.Match[str]) -> time:
    hour = int(match["hour"])
    minute = 30 if match["half"] else int(match["minute"] or 0)
    if hour > 23 or minute > 59:
        raise ValidationError(field, _("There is no such time of day."))
    return time(hour, minute)


def _localize(field: str, day: date, clock: time, zone: tzinfo) -> datetime:
    """Attach ``zone``; a wall time skipped by a clock change is refused, a repeated one
    is read as the first (earlier) occurrence."""
    local = datetime.combine(day, clock, tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValidationError(field, _("This time does not exist on that day (the clocks change)."))
    return local


# --------------------------------------------------------------------------------------------
# Free text
# --------------------------------------------------------------------------------------------

#: Control and invisible characters no text field stores (callcenter/text.py).
_CONTROL_ANY_RE = FORBIDDEN
_CONTROL_LINE_RE = FORBIDDEN_LINE


def check_text(
    field: str, text: str | None, max_len: int, *, required: bool = True, multiline: bool = False
) -> str:
    """Trim ``text``; refuse it when required and empty, longer than ``max_len``, or with a
    control character (tabs and line feeds only where ``multiline``)."""
    value = (text or "").strip()
    if multiline:
        value = value.replace("\r\n", "\n")
    if not value:
        if required:
            raise ValidationError(field, _("This field is required."))
        return ""
    if len(value) > max_len:
        raise ValidationError(
            field,
            _("Too long: at most {max} characters (this has {count}).").format(
                max=max_len, count=len(value)
            ),
        )
    if (_CONTROL_ANY_RE if multiline else _CONTROL_LINE_RE).search(value):
        raise ValidationError(field, _("Contains a control character that cannot be stored."))
    return value


def require_text(field: str, text: str | None, max_len: int, *, multiline: bool = False) -> str:
    """Trim ``text``; refuse it when empty, longer than ``max_len`` or with control characters
    (line feeds and tabs only where ``multiline``)."""
    if max_len < 1:
        raise ValueError("max_len must be positive")
    value = (text or "").strip()
    if not value:
        raise ValidationError(field, _("This field is required."))
    if len(value) > max_len:
        raise ValidationError(
            field,
            _("Too long: at most {max} characters (this has {count}).").format(
                max=max_len, count=len(value)
            ),
        )
    if multiline:
        value = value.replace("\r\n", "\n")
    if (_CONTROL_ANY_RE if multiline else _CONTROL_LINE_RE).search(value):
        raise ValidationError(field, _("Contains a control character that cannot be stored."))
    return value
