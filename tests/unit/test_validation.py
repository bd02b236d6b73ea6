"""Table-driven tests of the intake form's validation (``callcenter.validation``)."""

from __future__ import annotations

import ast
import gettext
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter import i18n
from callcenter import validation as v
from callcenter.errors import ValidationError
from callcenter.validation import (
    NO_PLATE,
    Phone,
    PhoneKind,
    PlateKind,
    format_phone,
    normalize_plate,
    parse_distance,
    parse_fee,
    parse_local_datetime,
    parse_phone,
    plate_kind,
    require_text,
)

M, L, T = PhoneKind.MOBILE, PhoneKind.LANDLINE, PhoneKind.TOLL_FREE


@pytest.fixture(autouse=True)
def english():
    """Assert on the English message ids, whatever catalogs are compiled."""
    previous = i18n.current_language()
    i18n.set_language("en")
    yield
    i18n.set_language(previous)


def refused(call, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call(*args, **kwargs)
    return info.value


# --------------------------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------------------------

PHONE_VALID = [
    # text, e164, extension, kind, display
    ("13812345678", "+8613812345678", "", M, "138 1234 5678"),
    ("138 1234 5678", "+8613812345678", "", M, "138 1234 5678"),
    ("138-1234-5678", "+8613812345678", "", M, "138 1234 5678"),
    ("138.1234.5678", "+8613812345678", "", M, "138 1234 5678"),
    (" 138 1234 5678 ", "+8613812345678", "", M, "138 1234 5678"),
    ("+86 138 1234 5678", "+8613812345678", "", M, "138 1234 5678"),
    ("+86-13812345678", "+8613812345678", "", M, "138 1234 5678"),
    ("+86 (138) 1234-5678", "+8613812345678", "", M, "138 1234 5678"),
    ("0086 138 1234 5678", "+8613812345678", "", M, "138 1234 5678"),
    ("008613812345678", "+8613812345678", "", M, "138 1234 5678"),
    ("8613812345678", "+8613812345678", "", M, "138 1234 5678"),
    ("86 138 1234 5678", "+8613812345678", "", M, "138 1234 5678"),
    ("013812345678", "+8613812345678", "", M, "138 1234 5678"),  # old out-of-town habit
    ("１３８１２３４５６７８", "+8613812345678", "", M, "138 1234 5678"),  # full-width
    ("＋８６ １３８－１２３４－５６７８", "+8613812345678", "", M, "138 1234 5678"),
    ("138—1234—5678", "+8613812345678", "", M, "138 1234 5678"),  # em dashes
    ("139 1010 2020", "+8613910102020", "", M, "139 1010 2020"),
    ("186 0000 1111", "+8618600001111", "", M, "186 0000 1111"),
    ("15012345678", "+8615012345678", "", M, "150 1234 5678"),
    ("17012345678", "+8617012345678", "", M, "170 1234 5678"),
    ("19912345678", "+8619912345678", "", M, "199 1234 5678"),
    ("16612345678", "+8616612345678", "", M, "166 1234 5678"),
    ("14512345678", "+8614512345678", "", M, "145 1234 5678"),
    ("19212345678", "+8619212345678", "", M, "192 1234 5678"),
    # landlines with area code
    ("010-12345678", "+861012345678", "", L, "010 1234 5678"),
    ("010 1234 5678", "+861012345678", "", L, "010 1234 5678"),
    ("(010)12345678", "+861012345678", "", L, "010 1234 5678"),
    ("（０１０）１２３４５６７８", "+861012345678", "", L, "010 1234 5678"),
    ("01012345678", "+861012345678", "", L, "010 1234 5678"),
    ("+86 10 1234 5678", "+861012345678", "", L, "010 1234 5678"),
    ("+86 (0)10 1234 5678", "+861012345678", "", L, "010 1234 5678"),
    ("+86 010 12345678", "+861012345678", "", L, "010 1234 5678"),
    ("0086 10 12345678", "+861012345678", "", L, "010 1234 5678"),
    ("861012345678", "+861012345678", "", L, "010 1234 5678"),
    ("021-6288 1234", "+862162881234", "", L, "021 6288 1234"),
    ("020-87654321", "+862087654321", "", L, "020 8765 4321"),
    ("022 2345 6789", "+862223456789", "", L, "022 2345 6789"),
    ("028-85551234", "+862885551234", "", L, "028 8555 1234"),
    ("029-87654321", "+862987654321", "", L, "029 8765 4321"),
    ("0755-12345678", "+8675512345678", "", L, "0755 1234 5678"),
    ("0755 8888 9999", "+8675588889999", "", L, "0755 8888 9999"),
    ("(0755) 8888-9999", "+8675588889999", "", L, "0755 8888 9999"),
    ("0571-87654321", "+8657187654321", "", L, "0571 8765 4321"),
    ("0512-67523456", "+8651267523456", "", L, "0512 6752 3456"),
    ("0898-66666666", "+8689866666666", "", L, "0898 6666 6666"),
    ("0391-2345678", "+863912345678", "", L, "0391 234 5678"),  # 7-digit subscriber
    ("0755-1234567-8", "+8675512345678", "", L, "0755 1234 5678"),  # only whole is valid
    # 400 / 800 service numbers
    ("400-820-8820", "+864008208820", "", T, "400 820 8820"),
    ("4008208820", "+864008208820", "", T, "400 820 8820"),
    ("400 820 8820", "+864008208820", "", T, "400 820 8820"),
    ("+86 400 820 8820", "+864008208820", "", T, "400 820 8820"),
    ("800-810-8888", "+868008108888", "", T, "800 810 8888"),
    ("8008108888", "+868008108888", "", T, "800 810 8888"),
    # extensions
    ("010-12345678转123", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678 转 123", "+861012345678", "123", L, "010 1234 5678"),
    ("010 1234 5678 转8001", "+861012345678", "8001", L, "010 1234 5678"),
    ("010-12345678 分机 8001", "+861012345678", "8001", L, "010 1234 5678"),
    ("010-12345678分机号:8001", "+861012345678", "8001", L, "010 1234 5678"),
    ("010-12345678 ext 123", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678 ext. 123", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678 EXT123", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678 extension 123", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678x123", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678 X 123", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678#123", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678＃１２３", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678,123", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678(转123)", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678（转123）", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678-123", "+861012345678", "123", L, "010 1234 5678"),
    ("010-12345678-1", "+861012345678", "1", L, "010 1234 5678"),
    ("0755-8888 9999-6688", "+8675588889999", "6688", L, "0755 8888 9999"),
    ("+86-10-12345678-123", "+861012345678", "123", L, "010 1234 5678"),
    ("400-820-8820转2", "+864008208820", "2", T, "400 820 8820"),
    ("400-820-8820-2", "+864008208820", "2", T, "400 820 8820"),
    ("13812345678转1234", "+8613812345678", "1234", M, "138 1234 5678"),  # privacy number
    ("170 1234 5678 转 5566", "+8617012345678", "5566", M, "170 1234 5678"),
    ("010-12345678 转 123456", "+861012345678", "123456", L, "010 1234 5678"),
    # foreign numbers, written with + or 00, valid in their own country
    ("+852 9123 4567", "+85291234567", "", M, "+852 9123 4567"),
    ("00852 9123 4567", "+85291234567", "", M, "+852 9123 4567"),
    ("+853 6612 3456", "+85366123456", "", M, "+853 6612 3456"),
    ("+886 912 345 678", "+886912345678", "", M, "+886 912 345 678"),
    ("+886 2 2345 6789", "+886223456789", "", L, "+886 2 2345 6789"),
    ("+44 20 7946 0000", "+442079460000", "", L, "+44 20 7946 0000"),
    ("+81 90-1234-5678", "+819012345678", "", M, "+81 90-1234-5678"),
    ("+82 10-1234-5678", "+821012345678", "", M, "+82 10-1234-5678"),
    ("+1 202 555 0123", "+12025550123", "", M, "+1 202-555-0123"),
    ("+1 800 555 0199", "+18005550199", "", T, "+1 800-555-0199"),
]


@pytest.mark.parametrize(("text", "e164", "ext", "kind", "display"), PHONE_VALID)
def test_parse_phone_valid(text, e164, ext, kind, display):
    assert parse_phone(text) == Phone(e164=e164, extension=ext, kind=kind, display=display)


PHONE_INVALID = [
    # text, key part of the message
    ("", "Enter a phone number"),
    ("   ", "Enter a phone number"),
    ("---", "Enter a phone number"),
    ("()", "Enter a phone number"),
    # emergency and short service numbers
    ("110", "110 is an emergency number"),
    ("119", "119 is an emergency number"),
    ("120", "120 is an emergency number"),
    ("122", "122 is an emergency number"),
    ("112", "112 is an emergency number"),
    ("999", "999 is an emergency number"),
    ("+86 110", "110 is an emergency number"),
    ("12345", "12345 is a short service number, not a caller's number"),
    ("95588", "95588 is a short service number"),
    ("10086", "10086 is a short service number"),
    ("10010", "10010 is a short service number"),
    ("12122", "12122 is a short service number"),
    ("12315", "12315 is a short service number"),
    ("114", "114 is a short service number"),
    ("95105105", "95105105 is a short service number"),
    ("96110", "96110 is a short service number"),
    ("955 88", "95588 is a short service number"),
    # a landline without its area code
    ("12345678", "A mobile number has 11 digits; this one has 8"),
    ("23456789", "needs its area code"),
    ("8765 4321", "needs its area code"),
    ("6288-1234", "needs its area code"),
    ("2345678", "needs its area code"),
    ("+86 23456789", "needs its area code"),
    # wrong length
    ("1381234567", "A mobile number has 11 digits; this one has 10"),
    ("138123456789", "A mobile number has 11 digits; this one has 12"),
    ("138 1234 567", "this one has 10"),
    ("+86 138 1234 567", "this one has 10"),
    ("12012345678", "120 is not a mobile prefix"),
    ("11012345678", "110 is not a mobile prefix"),
    ("400820882", "400 and 800 numbers have 10 digits; this one has 9"),
    ("40082088201", "400 and 800 numbers have 10 digits; this one has 11"),
    ("800-810-888", "this one has 9"),
    ("0755-1234567", "Not a valid landline number"),  # Shenzhen numbers have 8 digits
    ("010-1234567", "Not a valid landline number"),
    ("0755 1234 5678 9", "Not a valid landline number"),
    ("0", "Too short"),
    ("12", "Too short"),
    ("+86", "Too short"),
    ("+", "Enter a phone number"),
    ("1" * 18, "Too long"),
    ("+44 20 7946", "Too short"),
    ("+44 20 7946 0000 0000", "Too long"),
    ("+999 1234567", "Unknown country code"),
    ("+44 909 879 0000", "cannot be used to call the customer back"),  # premium rate
    ("+1 900 555 0123", "cannot be used to call the customer back"),
    # letters and other characters
    ("abc", "cannot contain letters"),
    ("138abcd5678", "cannot contain letters"),
    ("1-800-FLOWERS", "cannot contain letters"),
    ("x123", "cannot contain letters"),
    ("电话13812345678", "cannot contain “电”"),
    ("13812345678*", "cannot contain “*”"),
    ("138+12345678", "“+” can only come at the start"),
    # several numbers
    ("13812345678/13912345678", "Enter one phone number only"),
    ("13812345678、13912345678", "Enter one phone number only"),
    ("13812345678；13912345678", "Enter one phone number only"),
    ("13812345678 或 13912345678", "Enter one phone number only"),
    ("13812345678,13912345678", "Enter one phone number only"),
    # extensions
    ("010-12345678转", "An extension has 1 to 6 digits"),
    ("010-12345678 ext", "An extension has 1 to 6 digits"),
    ("010-12345678转1234567", "An extension has 1 to 6 digits"),
    ("转123 010-12345678", "Write the extension after the number"),
    ("010转12345678转123", "Write the extension after the number"),
    ("138-1234-5678-9", "If “-9” is an extension, write it as “转9”"),
    ("13812345678-1234", "write it as “转1234”"),
    ("0433-2345678-9", "Unclear whether “-9” is an extension"),  # both readings valid
]


@pytest.mark.parametrize(("text", "message"), PHONE_INVALID)
def test_parse_phone_invalid(text, message):
    error = refused(parse_phone, text)
    assert error.field == "phone"
    assert message in error.message


def test_phone_is_frozen():
    phone = parse_phone("13812345678")
    with pytest.raises(AttributeError):
        phone.e164 = "+8613900000000"  # type: ignore[misc]


def test_parse_phone_other_default_region():
    phone = parse_phone("9123 4567", region="HK")
    assert (phone.e164, phone.kind, phone.display) == ("+85291234567", M, "9123 4567")


def test_parse_phone_none_is_empty():
    assert "Enter a phone number" in refused(parse_phone, None).message  # type: ignore[arg-type]


FORMAT_PHONE = [
    ("+8613812345678", "", "138 1234 5678"),
    ("+861012345678", "", "010 1234 5678"),
    ("+861012345678", "123", "010 1234 5678 ext. 123"),
    ("+8675588889999", "", "0755 8888 9999"),
    ("+864008208820", "", "400 820 8820"),
    ("+864008208820", "2", "400 820 8820 ext. 2"),
    ("+868008108888", "", "800 810 8888"),
    ("+85291234567", "", "+852 9123 4567"),
    ("+442079460000", "", "+44 20 7946 0000"),
    ("not a number", "", "not a number"),
]


@pytest.mark.parametrize(("e164", "ext", "expected"), FORMAT_PHONE)
def test_format_phone(e164, ext, expected):
    assert format_phone(e164, ext) == expected


@pytest.mark.parametrize("text", [row[0] for row in PHONE_VALID])
def test_phone_round_trips_through_e164(text):
    phone = parse_phone(text)
    again = parse_phone(phone.e164)
    assert (again.e164, again.kind, again.display) == (phone.e164, phone.kind, phone.display)
    assert format_phone(phone.e164) == phone.display


# --------------------------------------------------------------------------------------------
# Plates
# --------------------------------------------------------------------------------------------

PLATE_VALID = [
    # text, normalised, kind
    ("粤B12345", "粤B12345", PlateKind.STANDARD),
    ("京A88888", "京A88888", PlateKind.STANDARD),
    ("沪A1B2C3", "沪A1B2C3", PlateKind.STANDARD),
    ("川A·7Q2M8", "川A7Q2M8", PlateKind.STANDARD),
    ("粤B·12345", "粤B12345", PlateKind.STANDARD),
    ("粤B.12345", "粤B12345", PlateKind.STANDARD),
    ("粤B-12345", "粤B12345", PlateKind.STANDARD),
    ("粤B 12345", "粤B12345", PlateKind.STANDARD),
    (" 粤 b 123 45 ", "粤B12345", PlateKind.STANDARD),
    ("粤b12345", "粤B12345", PlateKind.STANDARD),
    ("粤Ｂ１２３４５", "粤B12345", PlateKind.STANDARD),  # full-width
    ("粤ｂ・１２３４５", "粤B12345", PlateKind.STANDARD),
    ("浙a•8k9z1", "浙A8K9Z1", PlateKind.STANDARD),
    ("苏E·A8888", "苏EA8888", PlateKind.STANDARD),
    ("鲁B·HZ521", "鲁BHZ521", PlateKind.STANDARD),
    ("渝A·12345", "渝A12345", PlateKind.STANDARD),
    ("新A·66666", "新A66666", PlateKind.STANDARD),
    ("藏A·12345", "藏A12345", PlateKind.STANDARD),
    ("蒙A·12345", "蒙A12345", PlateKind.STANDARD),
    ("琼A·12345", "琼A12345", PlateKind.STANDARD),
    ("黑A·12345", "黑A12345", PlateKind.STANDARD),
    ("京Z·12345", "京Z12345", PlateKind.STANDARD),
    # new-energy, small: D/A/B/C/E (electric) F/G/H/J/K (other), letter or digit, 4 digits
    ("京AD12345", "京AD12345", PlateKind.NEW_ENERGY),
    ("粤B·D12345", "粤BD12345", PlateKind.NEW_ENERGY),
    ("粤BDF1234", "粤BDF1234", PlateKind.NEW_ENERGY),
    ("沪AF12345", "沪AF12345", PlateKind.NEW_ENERGY),
    ("沪AFK0001", "沪AFK0001", PlateKind.NEW_ENERGY),
    ("浙AA12345", "浙AA12345", PlateKind.NEW_ENERGY),
    ("浙AB12345", "浙AB12345", PlateKind.NEW_ENERGY),
    ("苏EC12345", "苏EC12345", PlateKind.NEW_ENERGY),
    ("川AE12345", "川AE12345", PlateKind.NEW_ENERGY),
    ("鄂AG12345", "鄂AG12345", PlateKind.NEW_ENERGY),
    ("湘AH12345", "湘AH12345", PlateKind.NEW_ENERGY),
    ("皖AJ12345", "皖AJ12345", PlateKind.NEW_ENERGY),
    ("豫AK12345", "豫AK12345", PlateKind.NEW_ENERGY),
    ("粤bd 12345", "粤BD12345", PlateKind.NEW_ENERGY),
    # new-energy, large: 5 digits then D or F
    ("粤B12345D", "粤B12345D", PlateKind.NEW_ENERGY),
    ("辽D46234F", "辽D46234F", PlateKind.NEW_ENERGY),
    ("京A·00001D", "京A00001D", PlateKind.NEW_ENERGY),
    # special suffixes
    ("鲁A1234挂", "鲁A1234挂", PlateKind.TRAILER),
    ("冀F·A123挂", "冀FA123挂", PlateKind.TRAILER),
    ("京A1234学", "京A1234学", PlateKind.COACH),
    ("沪B·0001学", "沪B0001学", PlateKind.COACH),
    ("京A0001警", "京A0001警", PlateKind.POLICE),
    ("粤B·1234警", "粤B1234警", PlateKind.POLICE),
    ("粤Z1234港", "粤Z1234港", PlateKind.HONG_KONG),
    ("粤Z·A123港", "粤ZA123港", PlateKind.HONG_KONG),
    ("粤z1234港", "粤Z1234港", PlateKind.HONG_KONG),
    ("粤Z1234澳", "粤Z1234澳", PlateKind.MACAU),
    ("粤Z·FV90澳", "粤ZFV90澳", PlateKind.MACAU),
    ("沪A1234领", "沪A1234领", PlateKind.CONSULATE),
    ("粤A·0123领", "粤A0123领", PlateKind.CONSULATE),
    ("使014578", "使014578", PlateKind.EMBASSY),
    ("使014·578", "使014578", PlateKind.EMBASSY),
    ("224001使", "224001使", PlateKind.EMBASSY),
    ("224-001使", "224001使", PlateKind.EMBASSY),
]


@pytest.mark.parametrize(("text", "plate", "kind"), PLATE_VALID)
def test_normalize_plate_valid(text, plate, kind):
    assert normalize_plate(text) == plate
    assert normalize_plate(text, allow_none=True) == plate
    assert plate_kind(text) is kind
    assert plate_kind(plate) is kind
    assert normalize_plate(plate) == plate  # idempotent


PLATE_INVALID = [
    # text, key part of the message
    ("", "Enter the plate number."),
    ("   ", "Enter the plate number."),
    ("··-", "Enter the plate number."),
    ("台A12345", "Unknown province abbreviation “台”"),
    ("广B12345", "Unknown province abbreviation “广”"),
    ("东A12345", "Unknown province abbreviation “东”"),
    ("B12345", "starts with a province abbreviation"),
    ("AB12345", "starts with a province abbreviation"),
    ("12345", "starts with a province abbreviation"),
    ("WJ粤12345", "starts with a province abbreviation"),
    ("粤BI2345", "letters I and O are not used"),
    ("粤BO2345", "letters I and O are not used"),
    ("粤I12345", "letters I and O are not used"),
    ("粤O12345", "letters I and O are not used"),
    ("京ad1234o", "letters I and O are not used"),
    ("粤112345", "second character of a plate is a letter"),
    ("粤粤12345", "second character of a plate is a letter"),
    ("粤", "Wrong length"),
    ("粤B", "Wrong length"),
    ("粤B1234", "7 characters (8 for new-energy vehicles); this one has 6"),
    ("粤B1234567", "this one has 9"),
    ("粤B12345678", "this one has 10"),
    ("粤B123456", "Not a valid new-energy plate"),  # 8 chars, no D/F anywhere
    ("粤BZ12345", "Not a valid new-energy plate"),
    ("粤BD1234A", "Not a valid new-energy plate"),
    ("粤BDA123A", "Not a valid new-energy plate"),
    ("粤B12345A", "Not a valid new-energy plate"),  # large: only D or F at the end
    ("粤BL12345", "Not a valid new-energy plate"),
    ("粤B12粤45", "“粤” can only be the first character"),
    ("粤B1234粤", "“粤” can only be the first character"),
    ("粤B12挂45", "“挂” can only be the last character"),
    ("粤B12345挂", "A plate ending in “挂” has 7 characters, e.g. “粤B1234挂”"),
    ("京A123学", "A plate ending in “学” has 7 characters"),
    ("粤B1234港", "Hong Kong and Macau plates start with 粤Z"),
    ("京A1234澳", "Hong Kong and Macau plates start with 粤Z"),
    ("使01457", "An embassy plate is “使” and 6 digits"),
    ("使0145789", "An embassy plate"),
    ("沪A1234使", "An embassy plate"),
    ("使A14578", "An embassy plate"),
    ("粤B*1234", "cannot contain “*”"),
    ("粤B/12345", "cannot contain “/”"),
    ("粤B12345!", "cannot contain “!”"),
    ("粤B1234车", "cannot contain “车”"),
    ("无牌", "A plate number is required here"),
    ("临时", "A plate number is required here"),
    ("none", "A plate number is required here"),
]


@pytest.mark.parametrize(("text", "message"), PLATE_INVALID)
def test_normalize_plate_invalid(text, message):
    error = refused(normalize_plate, text)
    assert error.field == "plate"
    assert message in error.message


NO_PLATE_WORDS = [
    "无牌",
    " 无牌 ",
    "无",
    "无车牌",
    "无牌照",
    "没牌",
    "未上牌",
    "临时",
    "临牌",
    "临时牌照",
    "none",
    "NONE",
    "No plate",
    "no-plate",
    "N/A",
    "temp",
    "Temporary",
    "ｎｏｎｅ",
]


@pytest.mark.parametrize("text", NO_PLATE_WORDS)
def test_no_plate_only_when_allowed(text):
    assert normalize_plate(text, allow_none=True) == NO_PLATE
    assert plate_kind(text) is PlateKind.NONE
    assert refused(normalize_plate, text).message == "A plate number is required here."


@pytest.mark.parametrize("text", ["", "  ", None])
def test_empty_plate_asks_to_choose_no_plate_explicitly(text):
    error = refused(normalize_plate, text, allow_none=True)
    assert error.field == "plate"
    assert "choose “no plate” explicitly" in error.message


def test_plate_kind_of_invalid_plate_raises():
    assert refused(plate_kind, "粤B1234").field == "plate"


def test_no_plate_constant():
    assert NO_PLATE == "无牌"
    assert plate_kind(NO_PLATE) is PlateKind.NONE


# --------------------------------------------------------------------------------------------
# Distance
# --------------------------------------------------------------------------------------------

DISTANCE_VALID = [
    ("12", "12.00"),
    ("12.5", "12.50"),
    ("0", "0.00"),
    ("-0", "0.00"),
    ("0.3", "0.30"),
    (".5", "0.50"),
    ("5.", "5.00"),
    ("1000", "1000.00"),
    ("1000.00", "1000.00"),
    ("999.99", "999.99"),
    ("1,000", "1000.00"),
    (" 35 ", "35.00"),
    ("１２．５", "12.50"),  # full-width
    ("１２．５公里", "12.50"),
    ("12。5", "12.50"),  # Chinese full stop from the IME
    ("12km", "12.00"),
    ("12 km", "12.00"),
    ("12KM", "12.00"),
    ("12 Km", "12.00"),
    ("12kms", "12.00"),
    ("8 kilometres", "8.00"),
    ("12公里", "12.00"),
    ("12 公里", "12.00"),
    ("12千米", "12.00"),
    ("+7", "7.00"),
    # more than 2 decimals: rounded half-up to 0.01 km
    ("12.345", "12.35"),
    ("12.344", "12.34"),
    ("12.355", "12.36"),
    ("0.005", "0.01"),
    ("0.004", "0.00"),
    ("999.999", "1000.00"),
]


@pytest.mark.parametrize(("text", "expected"), DISTANCE_VALID)
def test_parse_distance_valid(text, expected):
    value = parse_distance(text)
    assert value == Decimal(expected)
    assert str(value) == expected


DISTANCE_INVALID = [
    ("", "Enter the distance in kilometres."),
    ("   ", "Enter the distance in kilometres."),
    ("km", "Enter a number"),
    ("abc", "Enter a number"),
    ("twelve", "Enter a number"),
    ("十二", "Enter a number"),
    ("约12", "Enter a number"),
    ("12-15", "Enter a number"),
    ("1.2.3", "Enter a number"),
    ("NaN", "Enter a number"),
    ("Infinity", "Enter a number"),
    ("1e3", "Enter a number"),
    (".", "Enter a number"),
    ("-1", "Cannot be negative"),
    ("-0.5", "Cannot be negative"),
    ("－３", "Cannot be negative"),
    ("1000.001", "at most 1000 km"),
    ("1001", "at most 1000 km"),
    ("1,500", "at most 1000 km"),
    ("99999", "at most 1000 km"),
    ("12,5", "Use a decimal point, not a comma"),
    ("12，5", "Use a decimal point, not a comma"),
    ("1,00", "Use a decimal point"),
    ("500m", "Enter the distance in kilometres, e.g. “0.5” for 500 m."),
    ("500 米", "in kilometres"),
    ("800 meters", "in kilometres"),
]


@pytest.mark.parametrize(("text", "message"), DISTANCE_INVALID)
def test_parse_distance_invalid(text, message):
    error = refused(parse_distance, text)
    assert error.field == "distance_km"
    assert message in error.message


# --------------------------------------------------------------------------------------------
# Fee
# --------------------------------------------------------------------------------------------

FEE_VALID = [
    ("350", "350.00"),
    ("0", "0.00"),
    ("0.5", "0.50"),
    ("350.5", "350.50"),
    ("350.50", "350.50"),
    ("12.500", "12.50"),  # trailing zeros are not fractions of a fen
    ("¥350", "350.00"),
    ("￥350", "350.00"),
    ("¥ 1,200.50", "1200.50"),
    ("￥１，２００", "1200.00"),
    ("80元", "80.00"),
    ("80 元", "80.00"),
    ("80块", "80.00"),
    ("¥80元", "80.00"),
    ("RMB 200", "200.00"),
    ("rmb200", "200.00"),
    ("200 CNY", "200.00"),
    ("200 yuan", "200.00"),
    ("100000", "100000.00"),
    ("100,000.00", "100000.00"),
    ("99,999.99", "99999.99"),
]


@pytest.mark.parametrize(("text", "expected"), FEE_VALID)
def test_parse_fee_valid(text, expected):
    value = parse_fee(text)
    assert value == Decimal(expected)
    assert str(value) == expected


FEE_INVALID = [
    ("", "Enter the amount in yuan."),
    ("元", "Enter a number"),
    ("免费", "Enter a number"),
    ("三百", "Enter a number"),
    ("12.345", "at most 2 decimals"),
    ("0.001", "at most 2 decimals"),
    ("-5", "Cannot be negative"),
    ("¥-50", "Cannot be negative"),
    ("100000.01", "at most 100,000 yuan"),
    ("1000000", "at most 100,000 yuan"),
    ("12,5", "Use a decimal point"),
    ("1,20", "Use a decimal point"),
    ("1e5", "Enter a number"),
    ("$100", "Enter a number"),
]


@pytest.mark.parametrize(("text", "message"), FEE_INVALID)
def test_parse_fee_invalid(text, message):
    error = refused(parse_fee, text)
    assert error.field == "fee_quote"
    assert message in error.message


def test_parse_fee_other_field():
    assert refused(parse_fee, "-1", field="fee_final").field == "fee_final"


# --------------------------------------------------------------------------------------------
# Agreed arrival time
# --------------------------------------------------------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 3, 1, 6, 0, 20, tzinfo=UTC)  # 2025-03-01 14:00:20 in Shanghai


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


DATETIME_VALID = [
    # text, UTC result (Shanghai is UTC+8)
    ("14:30", "2025-03-01 06:30"),
    ("14:00", "2025-03-01 06:00"),  # the current minute is still today
    ("13:59", "2025-03-02 05:59"),  # already past: tomorrow
    ("00:00", "2025-03-01 16:00"),  # midnight is tomorrow's 00:00
    ("23:59", "2025-03-01 15:59"),
    ("9:05", "2025-03-02 01:05"),
    ("09:05", "2025-03-02 01:05"),
    ("１４：３０", "2025-03-01 06:30"),  # full-width
    (" 14:30 ", "2025-03-01 06:30"),
    ("14点30", "2025-03-01 06:30"),
    ("14点30分", "2025-03-01 06:30"),
    ("14时30分", "2025-03-01 06:30"),
    ("14点半", "2025-03-01 06:30"),
    ("16点", "2025-03-01 08:00"),
    ("9点", "2025-03-02 01:00"),
    ("今天 15:00", "2025-03-01 07:00"),
    ("今天15:00", "2025-03-01 07:00"),
    ("明天 08:30", "2025-03-02 00:30"),
    ("明天 15:00", "2025-03-02 07:00"),
    ("tomorrow 7:00", "2025-03-01 23:00"),
    ("Today 18:00", "2025-03-01 10:00"),
    ("2025-03-02 08:00", "2025-03-02 00:00"),
    ("2025-3-2 8:00", "2025-03-02 00:00"),
    ("2025/03/02 08:00", "2025-03-02 00:00"),
    ("2025.03.02 08:00", "2025-03-02 00:00"),
    ("2025-03-02T08:00", "2025-03-02 00:00"),
    ("2025年3月2日 8:00", "2025-03-02 00:00"),
    ("2025年3月2日8点半", "2025-03-02 00:30"),
    ("２０２５－０３－０２　０８：００", "2025-03-02 00:00"),
    ("2025-03-01 14:00", "2025-03-01 06:00"),
    ("2025-12-31 23:59", "2025-12-31 15:59"),
    ("2028-02-29 12:00", "2028-02-29 04:00"),
]


@pytest.mark.parametrize(("text", "expected"), DATETIME_VALID)
def test_parse_local_datetime_valid(text, expected):
    result = parse_local_datetime(text, SHANGHAI, NOW)
    assert result == utc(expected)
    assert result.tzinfo is UTC


DATETIME_INVALID = [
    ("", "Enter a time"),
    ("abc", "Enter a time"),
    ("1430", "Enter a time"),
    ("14:3", "Enter a time"),
    ("下午两点", "Enter a time"),
    ("03-02 08:00", "Enter a time"),
    ("25:00", "There is no such time of day"),
    ("24:00", "There is no such time of day"),
    ("14:60", "There is no such time of day"),
    ("2025-02-29 08:00", "There is no such date"),
    ("2025-13-01 08:00", "There is no such date"),
    ("2025-04-31 08:00", "There is no such date"),
    ("2025-03-02 08:00:75", "There is no such time of day"),
    ("今天 13:00", "This time has already passed"),
    ("2025-03-01 13:59", "This time has already passed"),
    ("2024-12-31 23:00", "This time has already passed"),
]


@pytest.mark.parametrize(("text", "message"), DATETIME_INVALID)
def test_parse_local_datetime_invalid(text, message):
    error = refused(parse_local_datetime, text, SHANGHAI, NOW)
    assert error.field == "agreed_arrival_at"
    assert message in error.message


def test_parse_local_datetime_allow_past_and_field():
    result = parse_local_datetime("2025-03-01 09:00", "Asia/Shanghai", NOW, allow_past=True)
    assert result == utc("2025-03-01 01:00")
    error = refused(parse_local_datetime, "", SHANGHAI, NOW, field="promised_arrival_at")
    assert error.field == "promised_arrival_at"


def test_parse_local_datetime_needs_aware_now():
    with pytest.raises(ValueError):
        parse_local_datetime("14:30", SHANGHAI, datetime(2025, 3, 1, 14, 0))


def test_parse_local_datetime_near_midnight_rolls_over_the_local_date():
    late = datetime(2025, 3, 1, 15, 50, tzinfo=UTC)  # 23:50 in Shanghai
    assert parse_local_datetime("00:30", SHANGHAI, late) == utc("2025-03-01 16:30")
    assert parse_local_datetime("23:55", SHANGHAI, late) == utc("2025-03-01 15:55")


def test_parse_local_datetime_clock_changes():
    now = datetime(2025, 3, 29, 12, 0, tzinfo=UTC)
    berlin = ZoneInfo("Europe/Berlin")
    error = refused(parse_local_datetime, "2025-03-30 02:30", berlin, now)
    assert "does not exist" in error.message
    # a repeated hour is read as its first occurrence (summer time, UTC+2)
    assert parse_local_datetime("2025-10-26 02:30", berlin, now) == utc("2025-10-26 00:30")


# --------------------------------------------------------------------------------------------
# Free text
# --------------------------------------------------------------------------------------------

REQUIRE_TEXT_VALID = [
    ("张伟", 20, "张伟"),
    ("  张伟  ", 20, "张伟"),
    ("\u3000李娜\u3000", 20, "李娜"),  # ideographic spaces
    ("深圳市南山区科技园南区 深南大道10000号", 100, "深圳市南山区科技园南区 深南大道10000号"),
    ("abcde", 5, "abcde"),
]


@pytest.mark.parametrize(("text", "max_len", "expected"), REQUIRE_TEXT_VALID)
def test_require_text_valid(text, max_len, expected):
    assert require_text("customer_name", text, max_len) == expected


@pytest.mark.parametrize("text", ["Line one\nline two", "tab\there", "Windows\r\nline"])
def test_line_feeds_and_tabs_only_in_a_multiline_field(text):
    with pytest.raises(ValidationError, match="control character"):
        require_text("caller_name", text, 50)
    assert require_text("fault_description", text, 50, multiline=True) == text.replace("\r\n", "\n")


REQUIRE_TEXT_INVALID = [
    ("", 20, "This field is required."),
    ("   ", 20, "This field is required."),
    ("\u3000", 20, "This field is required."),
    (None, 20, "This field is required."),
    ("abcdef", 5, "Too long: at most 5 characters (this has 6)."),
    ("张" * 21, 20, "at most 20 characters (this has 21)"),
    ("bad\x00byte", 20, "control character"),
    ("bell\x07", 20, "control character"),
]


@pytest.mark.parametrize(("text", "max_len", "message"), REQUIRE_TEXT_INVALID)
def test_require_text_invalid(text, max_len, message):
    error = refused(require_text, "customer_name", text, max_len)
    assert error.field == "customer_name"
    assert message in error.message


def test_require_text_bad_max_len():
    with pytest.raises(ValueError):
        require_text("x", "a", 0)


# --------------------------------------------------------------------------------------------
# Messages: translated at call time, and present in both catalogs
# --------------------------------------------------------------------------------------------

LOCALE = Path(v.__file__).with_name("locale")


def _message_ids() -> set[str]:
    tree = ast.parse(Path(v.__file__).read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and isinstance(node.args[0], ast.Constant)
    }


def _catalog(language: str):
    pofile = pytest.importorskip("babel.messages.pofile")
    path = LOCALE / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return pofile.read_po(handle, locale=language)


def test_message_ids_found():
    assert len(_message_ids()) > 40


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_message_is_in_the_catalog(language):
    catalog = _catalog(language)
    missing = sorted(m for m in _message_ids() if m not in catalog)
    assert not missing


def test_chinese_translations_keep_placeholders():
    catalog = _catalog("zh_CN")
    for message_id in _message_ids():
        translated = catalog[message_id].string
        assert translated, message_id
        assert re.search(r"[\u4e00-\u9fff]", translated), message_id
        placeholders = set(re.findall(r"\{\w+\}", message_id))
        assert set(re.findall(r"\{\w+\}", translated)) == placeholders, message_id


def test_messages_are_translated_at_call_time(tmp_path, monkeypatch):
    mofile = pytest.importorskip("babel.messages.mofile")
    path = tmp_path / "messages.mo"
    with path.open("wb") as handle:
        mofile.write_mo(handle, _catalog("zh_CN"))
    with path.open("rb") as handle:
        monkeypatch.setattr(i18n, "_translation", gettext.GNUTranslations(handle))
    assert refused(parse_phone, "110").message == "110 是紧急求助号码，不是来电人的号码。"
    assert refused(normalize_plate, "台A12345").message == "未知的省份简称“台”。"
    assert refused(normalize_plate, "", allow_none=True).message == (
        "请输入车牌号，或明确选择“无牌”。"
    )
    assert format_phone("+861012345678", "123") == "010 1234 5678 转 123"
    assert refused(parse_distance, "1001").message == "距离不能超过 1000 公里。"
