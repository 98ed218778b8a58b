from __future__ import annotations

import datetime
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.identifiers import (
    CheckResult,
    IdCheck,
    check_id_number,
    check_mobile,
    check_phone,
    check_postcode,
    check_uscc,
    id_birth,
    id_birth_month,
    id_check_char,
    id_gender,
    mask_id_number,
    normalize_id_number,
    uscc_check_char,
)

TODAY = datetime.date(2026, 6, 1)

# ------------------------------------------------------------------------------------------------------
# resident ID: DOMAIN.md vectors


@pytest.mark.parametrize(
    ("number", "birth", "gender"),
    [
        ("11010519491231002X", datetime.date(1949, 12, 31), "女"),
        ("50010119900101123X", datetime.date(1990, 1, 1), "男"),
        ("500115198512312468", datetime.date(1985, 12, 31), "女"),
        ("500103200002290013", datetime.date(2000, 2, 29), "男"),
    ],
)
def test_domain_valid_ids(number: str, birth: datetime.date, gender: str) -> None:
    result = check_id_number(number, today=TODAY)
    assert result == IdCheck(ok=True, value=number, error=None, birth=birth, gender=gender)


def test_domain_standard_example_born_1880() -> None:
    # 440524188001010014 is the standard's example (born 1880) and DOMAIN.md lists it as valid.
    number = "440524188001010014"
    assert id_check_char(number[:17]) == number[17]
    result = check_id_number(number, today=TODAY)
    assert result.ok
    assert result.birth == datetime.date(1880, 1, 1)
    assert result.gender == "男"
    strict = check_id_number(number, today=TODAY, min_birth_year=1900)
    assert not strict.ok
    assert strict.error == "出生日期 1880年1月1日 早于 1900 年，请核对"


def test_domain_wrong_check_character() -> None:
    result = check_id_number("500101199001011230", today=TODAY)
    assert not result.ok
    assert result.error is not None and "逐位核对" in result.error and "最后一位" not in result.error
    assert result.birth is None and result.gender is None


def test_domain_30_february() -> None:
    result = check_id_number("500101199002301239", today=TODAY)
    assert not result.ok
    assert result.error == "出生日期 1990年2月30日 不存在"


def test_domain_17_characters() -> None:
    result = check_id_number("50010119900101123", today=TODAY)
    assert not result.ok
    assert result.error == "身份证号码应为 18 位，您输入了 17 位"


# ------------------------------------------------------------------------------------------------------
# resident ID: normalisation and other causes


def test_normalize_id_number() -> None:
    assert normalize_id_number(" ５００１０１ 1990\u30000101 123ｘ\n") == "50010119900101123X"
    assert normalize_id_number("50010119900101123x") == "50010119900101123X"


@pytest.mark.parametrize(
    "raw",
    [
        "５００１０１１９９００１０１１２３Ｘ",
        "５００１０１１９９００１０１１２３ｘ",
        "50010119900101123x",
        " 500101 19900101 123x ",
        "500101\u300019900101123X",
        "\t50010119900101123X\n",
    ],
)
def test_full_width_and_lowercase_x_accepted(raw: str) -> None:
    result = check_id_number(raw, today=TODAY)
    assert result.ok, result.error
    assert result.value == "50010119900101123X"


def test_fifteen_digit_number_converted() -> None:
    result = check_id_number("500101900101123", today=TODAY)
    assert result.ok
    assert result.value == "50010119900101123X"
    assert result.birth == datetime.date(1990, 1, 1)
    assert result.gender == "男"


def test_fifteen_digit_number_with_bad_date() -> None:
    result = check_id_number("500101900230123", today=TODAY)
    assert not result.ok
    assert result.error == "出生日期 1990年2月30日 不存在"


def test_x_inside_first_17() -> None:
    result = check_id_number("5001011990010112X0", today=TODAY)
    assert not result.ok
    assert result.error == "身份证号码前 17 位必须是数字，第 17 位是 X"


def test_letter_rejected() -> None:
    result = check_id_number("50010119900101123A", today=TODAY)
    assert not result.ok
    assert result.error == "身份证号码只能由数字和末位的 X 组成，不能包含字母 A"


def test_future_birth_date() -> None:
    body = "500101" + "20260602" + "123"
    result = check_id_number(body + id_check_char(body), today=TODAY)
    assert not result.ok
    assert result.error == "出生日期 2026年6月2日 晚于今天，请核对"
    today_body = "500101" + "20260601" + "123"
    assert check_id_number(today_body + id_check_char(today_body), today=TODAY).ok


def test_birth_before_1800() -> None:
    body = "500101" + "17991231" + "123"
    result = check_id_number(body + id_check_char(body), today=TODAY)
    assert not result.ok
    assert result.error == "出生日期 1799年12月31日 早于 1800 年，请核对"


def test_no_prefix_or_address_check() -> None:
    # pre-1997 Chongqing numbers start with 51; any 6 digits pass as an address code
    for address in ("510202", "000000", "999999"):
        body = address + "19700101" + "002"
        assert check_id_number(body + id_check_char(body), today=TODAY).ok


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写身份证号码"),
        ("   ", "请填写身份证号码"),
        ("<script>alert(1)</script>", "身份证号码只能由数字和末位的 X 组成，不能包含特殊符号"),
        ("50010119900101123\x00", "身份证号码只能由数字和末位的 X 组成，不能包含不可见的控制字符"),
        ("5001011990010112\u200b3X", "身份证号码只能由数字和末位的 X 组成，不能包含不可见的控制字符"),
        ("50010119900101123😀", "身份证号码只能由数字和末位的 X 组成，不能包含特殊符号"),
        ("500101-19900101-123X", "身份证号码只能由数字和末位的 X 组成，不能包含「-」"),
        ("身份证50010119900101123X", "身份证号码只能由数字和末位的 X 组成，不能包含「身」"),
        ("500101900101", "身份证号码应为 18 位，您输入了 12 位"),
        ("5001019001011X3", "15 位的旧身份证号码只能由数字组成"),
    ],
)
def test_bad_input_rejected_with_message(raw: str, error: str) -> None:
    result = check_id_number(raw, today=TODAY)
    assert not result.ok
    assert result.error == error
    assert result.birth is None and result.gender is None


def test_huge_input_rejected_quickly() -> None:
    for raw in ("1" * 10_000, "<" * 10_000, "１ " * 10_000):
        started = time.perf_counter()
        result = check_id_number(raw)
        masked = mask_id_number(raw)
        assert time.perf_counter() - started < 0.5
        assert not result.ok
        assert result.error
        assert len(masked) <= 18
    assert check_id_number("1" * 10_000).error == "身份证号码应为 18 位，您输入了 10000 位"


def test_birth_and_gender_helpers() -> None:
    assert id_birth("50010119900101123X") == "1990-01-01"
    assert id_birth_month("50010119900101123x") == "1990-01"
    assert id_gender("50010119900101123X") == "男"
    assert id_gender("500115198512312468") == "女"
    assert id_birth("500103200002290013") == "2000-02-29"
    for bad in ("500101199001011230", "500101199002301239", "", "abc"):
        assert id_birth(bad) is None
        assert id_birth_month(bad) is None
        assert id_gender(bad) is None


def test_mask_valid() -> None:
    assert mask_id_number("50010119900101123X") == "500101********123X"
    assert mask_id_number(" 500115 19851231 2468 ") == "500115********2468"
    assert mask_id_number("500101900101123") == "500101********123X"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("", ""),
        ("123", "***"),
        ("12345678", "******78"),
        ("500101199001011230", "**************1230"),  # invalid: only the last 4 shown
        ("50010119900101123", "*************1123"),
        ("1" * 10_000, "*" * 14 + "1111"),
        ("50010119900101123\x00", "**************123*"),
    ],
)
def test_mask_invalid_reveals_at_most_four(raw: str, masked: str) -> None:
    assert mask_id_number(raw) == masked
    assert sum(c != "*" for c in masked) <= 4


# hypothesis: valid numbers built with the algorithm pass; any single-digit change in the first 17 fails

_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY)
_addresses = st.text(alphabet="0123456789", min_size=6, max_size=6)
_sequences = st.integers(min_value=0, max_value=999)


@settings(database=None, deadline=None, max_examples=300)
@given(
    birth=_dates,
    address=_addresses,
    sequence=_sequences,
    position=st.integers(min_value=0, max_value=16),
    delta=st.integers(min_value=1, max_value=9),
)
def test_property_check_algorithm(
    birth: datetime.date, address: str, sequence: int, position: int, delta: int
) -> None:
    body = f"{address}{birth:%Y%m%d}{sequence:03d}"
    number = body + id_check_char(body)
    result = check_id_number(number, today=TODAY)
    assert result.ok, result.error
    assert result.birth == birth
    assert result.gender == ("男" if sequence % 2 else "女")

    changed_digit = str((int(body[position]) + delta) % 10)
    changed = body[:position] + changed_digit + body[position + 1 :] + number[17]
    changed_result = check_id_number(changed, today=TODAY)
    assert not changed_result.ok
    assert changed_result.error


# ------------------------------------------------------------------------------------------------------
# unified social credit code


@pytest.mark.parametrize("code", ["91110000600037341L", "91110108551385082Q", "91500115MA5U00011X"])
def test_domain_valid_uscc(code: str) -> None:
    assert check_uscc(code) == CheckResult(True, code, None)
    assert uscc_check_char(code[:17]) == code[17]


def test_domain_uscc_wrong_check() -> None:
    result = check_uscc("91500115MA5U00011Y")
    assert not result.ok
    assert result.error is not None and "逐位核对" in result.error and "最后一位" not in result.error


def test_domain_uscc_letter_i() -> None:
    result = check_uscc("9150011IMA5U00011X")
    assert not result.ok
    assert result.error == "统一社会信用代码不能包含字母 I"


def test_uscc_normalised() -> None:
    result = check_uscc(" ９１５００１１５ma5u 00011x ")
    assert result.ok
    assert result.value == "91500115MA5U00011X"


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写统一社会信用代码"),
        ("91500115MA5U0001", "统一社会信用代码应为 18 位，您输入了 16 位"),
        ("91500115MA5O00011X", "统一社会信用代码不能包含字母 O"),
        ("91500115MA5U0001SX", "统一社会信用代码不能包含字母 S"),
        ("91A00115MA5U00011X", "统一社会信用代码第 3–8 位（行政区划码）必须是数字"),
        ("代码91500115MA5U00011X", "统一社会信用代码不能包含「代」"),
        ("<script>", "统一社会信用代码不能包含特殊符号"),
        ("91500115MA5U00011\x07", "统一社会信用代码不能包含不可见的控制字符"),
    ],
)
def test_uscc_errors(raw: str, error: str) -> None:
    result = check_uscc(raw)
    assert not result.ok
    assert result.error == error


# ------------------------------------------------------------------------------------------------------
# phones and postal codes


@pytest.mark.parametrize(
    "raw",
    ["13983700211", "139 8370 0211", "139-8370-0211", "+86 13983700211", "+8613983700211", "8613983700211"],
)
def test_mobile_accepted(raw: str) -> None:
    assert check_mobile(raw) == CheckResult(True, "13983700211", None)
    assert check_phone(raw) == CheckResult(True, "13983700211", None)


def test_mobile_full_width() -> None:
    assert check_mobile("１５６８３１１９８０５").value == "15683119805"


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写手机号码"),
        ("1398370021", "手机号码应为 11 位，您输入了 10 位"),
        ("12983700211", "手机号码应以 1 开头，第二位为 3–9"),
        ("23983700211", "手机号码应以 1 开头，第二位为 3–9"),
        ("1398370021a", "手机号码只能包含数字，不能包含字母 a"),
        ("139😀83700211", "手机号码只能包含数字，不能包含特殊符号"),
    ],
)
def test_mobile_errors(raw: str, error: str) -> None:
    result = check_mobile(raw)
    assert not result.ok
    assert result.error == error


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("023-67752810", "023-67752810"),
        ("02367752810", "023-67752810"),
        ("023 6775 2810", "023-67752810"),
        ("(023)67752810", "023-67752810"),
        ("（０２３）６７７５２８１０", "023-67752810"),
        ("023－67752810", "023-67752810"),
        ("023-67752810-123", "023-67752810-123"),
        ("023-67752810转123", "023-67752810-123"),
        ("010-12345678", "010-12345678"),
        ("0311-1234567", "0311-1234567"),
        ("031112345678", "0311-12345678"),
        ("+86 23 67752810", "023-67752810"),
    ],
)
def test_landline_accepted(raw: str, value: str) -> None:
    assert check_phone(raw) == CheckResult(True, value, None)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("67752810", "023-67752810"), ("6775281", "023-6775281"), ("67752810转8", "023-67752810-8")],
)
def test_bare_local_number_gets_chongqing_area_code(raw: str, value: str) -> None:
    assert check_phone(raw) == CheckResult(True, value, None, note="已按重庆区号 023 补全")


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写联系电话"),
        ("abc", "电话号码只能包含数字、连字符和分机号，不能包含字母 a"),
        ("<script>", "电话号码只能包含数字、连字符和分机号，不能包含特殊符号"),
        ("023-6775\x072810", "电话号码只能包含数字、连字符和分机号，不能包含不可见的控制字符"),
        ("1398370021", "手机号码应为 11 位，您输入了 10 位"),
        ("023-677528", "座机号码应为区号（以 0 开头，3–4 位）加 7–8 位号码"),
        ("01234567", "座机号码应为区号（以 0 开头，3–4 位）加 7–8 位号码"),
        ("677528", "电话号码位数不正确：手机号码 11 位，座机号码 7–8 位（可加区号）"),
    ],
)
def test_phone_errors(raw: str, error: str) -> None:
    result = check_phone(raw)
    assert not result.ok
    assert result.error == error


def test_phone_huge_input() -> None:
    started = time.perf_counter()
    result = check_phone("6" * 10_000)
    assert time.perf_counter() - started < 0.5
    assert not result.ok


@pytest.mark.parametrize(
    ("raw", "value"), [("400015", "400015"), ("４０００１５", "400015"), (" 100 080 ", "100080")]
)
def test_postcode_accepted(raw: str, value: str) -> None:
    assert check_postcode(raw) == CheckResult(True, value, None)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("", "请填写邮政编码"),
        ("40001", "邮政编码应为 6 位数字，您输入了 5 位"),
        ("4000151", "邮政编码应为 6 位数字，您输入了 7 位"),
        ("4000a5", "邮政编码只能包含数字，不能包含字母 a"),
        ("400-015", "邮政编码只能包含数字，不能包含「-」"),
    ],
)
def test_postcode_errors(raw: str, error: str) -> None:
    result = check_postcode(raw)
    assert not result.ok
    assert result.error == error
