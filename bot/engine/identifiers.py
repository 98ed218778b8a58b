"""Validation and normalisation of Chinese identifiers.

Pure functions, no I/O.  Every checker returns a frozen dataclass instead of raising: ``ok`` says whether
the input is acceptable, ``value`` is the normalised form (what should be stored), and ``error`` is a short
Chinese message for the applicant saying what is wrong (the caller adds an example of a correct value).

Algorithms (see ``DOMAIN.md`` "Identifiers"):

* resident ID, GB 11643-1999: 17 digits weighted by ``7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2``,
  check character ``"10X98765432"[S % 11]``; old 15-digit numbers get ``19`` inserted after the
  6-digit address code and a computed check character;
* unified social credit code, GB 32100-2015: alphabet ``0-9A-Z`` without ``I O Z S V``, weights
  ``3**i mod 31``, check ``ALPH[(31 - S % 31) % 31]``;
* mobile ``^1[3-9]\\d{9}$``, landline ``0`` + area code + 7-8 digit number (+ optional extension),
  postal code ``^\\d{6}$``.

Nothing here logs or echoes an identifier except inside the returned ``value``; error messages name at most
one offending character, never the number itself.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "CheckResult",
    "IdCheck",
    "check_id_number",
    "check_mobile",
    "check_phone",
    "check_postcode",
    "check_uscc",
    "id_birth",
    "id_birth_month",
    "id_check_char",
    "id_gender",
    "mask_id_number",
    "normalize_id_number",
    "uscc_check_char",
]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of a check: ``value`` is the normalised input (even when ``ok`` is False)."""

    ok: bool
    value: str
    error: str | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class IdCheck:
    """Outcome of :func:`check_id_number`; ``birth`` and ``gender`` are set only when ``ok``."""

    ok: bool
    value: str
    error: str | None
    birth: datetime.date | None
    gender: str | None


# --------------------------------------------------------------------------------------------------------
# shared normalisation helpers

_FULLWIDTH_OFFSET = 0xFEE0  # U+FF01..U+FF5E  ->  U+0021..U+007E
_DASHES = "‐‑‒–—―−"  # hyphen, non-breaking hyphen, figure dash, en, em, bar, minus


def _to_halfwidth(text: str) -> str:
    """Map full-width ASCII variants (digits, letters, punctuation) to ASCII; leave the rest alone."""
    return "".join(chr(ord(c) - _FULLWIDTH_OFFSET) if "\uff01" <= c <= "\uff5e" else c for c in text)


def _strip_whitespace(text: str) -> str:
    # str.split() without arguments splits on every Unicode whitespace, including U+3000 (ideographic space).
    return "".join(text.split())


def _basic_normalize(raw: str) -> str:
    return _to_halfwidth(_strip_whitespace(raw))


def _describe_char(ch: str) -> str:
    """Describe an unwanted character for an error message without echoing anything unsafe or invisible."""
    if ch.isascii() and ch.isalpha():
        return f"字母 {ch}"
    category = unicodedata.category(ch)
    if category[0] in "CZ":  # control, format, private use, unassigned, separators
        return "不可见的控制字符"
    if category[0] == "S":  # symbols: < > + = emoji …
        return "特殊符号"
    if ch.isprintable():
        return f"「{ch}」"
    return "无法识别的字符"


# --------------------------------------------------------------------------------------------------------
# resident identity card number (GB 11643-1999)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ASCII_DIGITS = frozenset("0123456789")
_MIN_BIRTH_YEAR = 1800  # DOMAIN.md lists the standard's 1880 example as valid


def normalize_id_number(raw: str) -> str:
    """Strip all whitespace, map full-width characters to half-width and ``x`` to ``X``."""
    return _basic_normalize(raw).replace("x", "X")


def id_check_char(body17: str) -> str:
    """Check character (``0-9`` or ``X``) for the first 17 digits of a resident ID number.

    Raises ``ValueError`` if ``body17`` is not exactly 17 ASCII digits.
    """
    if len(body17) != 17 or not set(body17) <= _ASCII_DIGITS:
        raise ValueError("id_check_char needs exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def _id_fail(value: str, error: str) -> IdCheck:
    return IdCheck(ok=False, value=value, error=error, birth=None, gender=None)


def check_id_number(
    raw: str,
    *,
    today: datetime.date | None = None,
    min_birth_year: int = _MIN_BIRTH_YEAR,
) -> IdCheck:
    """Validate a resident ID number (18 characters, or an old 15-digit number converted to 18).

    ``today`` (default: the current date) is the latest acceptable birth date; birth dates before
    ``min_birth_year``-01-01 are rejected as implausible.  The address code is not checked (old Chongqing
    numbers start with ``51``; codes change over time).
    """
    value = normalize_id_number(raw)
    if not value:
        return _id_fail(value, "请填写身份证号码")

    for ch in value:
        if ch not in _ASCII_DIGITS and ch != "X":
            return _id_fail(value, f"身份证号码只能由数字和末位的 X 组成，不能包含{_describe_char(ch)}")

    if len(value) == 15:
        if "X" in value:
            return _id_fail(value, "15 位的旧身份证号码只能由数字组成")
        body = value[:6] + "19" + value[6:]
        value = body + id_check_char(body)
        converted = True
    elif len(value) == 18:
        converted = False
    else:
        return _id_fail(value, f"身份证号码应为 18 位，您输入了 {len(value)} 位")

    x_pos = value.find("X")
    if 0 <= x_pos < 17:
        return _id_fail(value, f"身份证号码前 17 位必须是数字，第 {x_pos + 1} 位是 X")

    y, m, d = value[6:10], value[10:12], value[12:14]
    shown = f"{int(y)}年{int(m)}月{int(d)}日"
    try:
        birth = datetime.date(int(y), int(m), int(d))
    except ValueError:
        return _id_fail(value, f"出生日期 {shown} 不存在")
    if birth.year < min_birth_year:
        return _id_fail(value, f"出生日期 {shown} 早于 {min_birth_year} 年，请核对")
    if birth > (today if today is not None else datetime.date.today()):
        return _id_fail(value, f"出生日期 {shown} 晚于今天，请核对")

    if not converted and id_check_char(value[:17]) != value[17]:
        return _id_fail(
            value, "身份证号码有误（校验位不符）：可能某一位写错或两位前后颠倒，请对照证件逐位核对"
        )

    gender = "男" if int(value[16]) % 2 == 1 else "女"
    return IdCheck(ok=True, value=value, error=None, birth=birth, gender=gender)


def id_birth(value: str) -> str | None:
    """Birth date ``YYYY-MM-DD`` of a valid ID number, else None."""
    result = check_id_number(value)
    return result.birth.isoformat() if result.birth is not None else None


def id_birth_month(value: str) -> str | None:
    """Birth month ``YYYY-MM`` of a valid ID number, else None."""
    result = check_id_number(value)
    return result.birth.strftime("%Y-%m") if result.birth is not None else None


def id_gender(value: str) -> str | None:
    """``"男"`` or ``"女"`` for a valid ID number (17th digit odd = male), else None."""
    return check_id_number(value).gender


def mask_id_number(value: str) -> str:
    """Mask an ID number for display: ``500101********1234``.

    A valid number (15-digit numbers are shown in their 18-character form) keeps its first 6 and last 4
    characters.  Anything else reveals at most its last 4 characters (fewer for short input, and only
    ASCII letters and digits), and the masked text is never longer than 18 characters.
    """
    result = check_id_number(value)
    if result.ok:
        return f"{result.value[:6]}{'*' * 8}{result.value[-4:]}"
    text = result.value
    if not text:
        return ""
    shown = min(4, len(text) // 4)
    tail = "".join(c if c.isascii() and c.isalnum() else "*" for c in text[-shown:]) if shown else ""
    stars = min(len(text), 18) - shown
    return "*" * stars + tail


# --------------------------------------------------------------------------------------------------------
# unified social credit code (GB 32100-2015)

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(body17: str) -> str:
    """Check character for the first 17 characters of a unified social credit code.

    Raises ``ValueError`` if ``body17`` is not 17 characters of the code alphabet.
    """
    if len(body17) != 17 or any(c not in _USCC_VALUES for c in body17):
        raise ValueError("uscc_check_char needs 17 characters from 0-9A-Z without I O Z S V")
    total = sum(_USCC_VALUES[c] * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(raw: str) -> CheckResult:
    """Validate a unified social credit code (统一社会信用代码); ``value`` is normalised to upper case."""
    value = _basic_normalize(raw).upper()
    if not value:
        return CheckResult(False, value, "请填写统一社会信用代码")
    for ch in value:
        if ch not in _USCC_VALUES:
            return CheckResult(False, value, f"统一社会信用代码不能包含{_describe_char(ch)}")
    if len(value) != 18:
        return CheckResult(False, value, f"统一社会信用代码应为 18 位，您输入了 {len(value)} 位")
    if not set(value[2:8]) <= _ASCII_DIGITS:
        return CheckResult(False, value, "统一社会信用代码第 3–8 位（行政区划码）必须是数字")
    if uscc_check_char(value[:17]) != value[17]:
        return CheckResult(
            False,
            value,
            "统一社会信用代码有误（校验位不符）：可能某一位写错或两位前后颠倒，请对照证照逐位核对",
        )
    return CheckResult(True, value, None)


# --------------------------------------------------------------------------------------------------------
# phones and postal codes

_MOBILE_RE = re.compile(r"1[3-9]\d{9}", re.ASCII)
# With a separator the split between area code and number is explicit.
_LANDLINE_SEP_RE = re.compile(r"(?:\((0\d{2,3})\)-?|(0\d{2,3})-)(\d{7,8})(?:(?:-|转)(\d{1,6}))?", re.ASCII)
# Without one, use the numbering plan: 010 and 02x are 3-digit area codes, every other one has 4 digits.
_LANDLINE_BARE_RE = re.compile(r"(0[12]\d|0[3-9]\d{2})(\d{7,8})(?:(?:-|转)(\d{1,6}))?", re.ASCII)
_LOCAL_RE = re.compile(r"([2-9]\d{6,7})(?:(?:-|转)(\d{1,6}))?", re.ASCII)
_PHONE_CHARS = frozenset("0123456789-()+转")
_CHONGQING_NOTE = "已按重庆区号 023 补全"


def _phone_normalize(raw: str) -> str:
    text = _basic_normalize(raw)
    for dash in _DASHES:
        text = text.replace(dash, "-")
    return text


def _strip_country_code(digits: str) -> str:
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            return digits[len(prefix) :]
    if digits.startswith("86") and len(digits) == 13:
        return digits[2:]
    return digits


def _mobile_error(digits: str) -> str:
    bad = next((c for c in digits if c not in _ASCII_DIGITS), None)
    if bad is not None:
        return f"手机号码只能包含数字，不能包含{_describe_char(bad)}"
    if len(digits) != 11:
        return f"手机号码应为 11 位，您输入了 {len(digits)} 位"
    return "手机号码应以 1 开头，第二位为 3–9"


def check_mobile(raw: str) -> CheckResult:
    """Validate a mainland mobile number; spaces, hyphens and a ``+86``/``86`` prefix are removed."""
    digits = _strip_country_code(_phone_normalize(raw).replace("-", ""))
    if not digits:
        return CheckResult(False, digits, "请填写手机号码")
    if _MOBILE_RE.fullmatch(digits):
        return CheckResult(True, digits, None)
    return CheckResult(False, digits, _mobile_error(digits))


def _landline(area: str, number: str, ext: str | None) -> str:
    return f"{area}-{number}" + (f"-{ext}" if ext else "")


def check_phone(raw: str) -> CheckResult:
    """Validate a mobile or landline number.

    Mobile numbers are returned as 11 digits.  Landlines are returned as ``023-67752810`` (area code,
    hyphen, number, optional ``-extension``; ``(023)``, ``023 6775 2810`` and ``转123`` are accepted).  A bare
    7- or 8-digit local number is taken as a Chongqing number: ``023-`` is prefixed and ``note`` says so.
    """
    text = _phone_normalize(raw)
    if not text:
        return CheckResult(False, text, "请填写联系电话")
    for ch in text:
        if ch not in _PHONE_CHARS:
            return CheckResult(
                False, text, f"电话号码只能包含数字、连字符和分机号，不能包含{_describe_char(ch)}"
            )

    mobile = _strip_country_code(text.replace("-", ""))
    if _MOBILE_RE.fullmatch(mobile):
        return CheckResult(True, mobile, None)

    # International form of a landline: +86 23 67752810 -> 023-67752810.
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            rest = text[len(prefix) :].lstrip("-")
            if rest[:1].isdigit() and rest[0] != "1":
                text = rest if rest.startswith("0") else "0" + rest
            break

    m = _LANDLINE_SEP_RE.fullmatch(text)
    if m:
        return CheckResult(True, _landline(m.group(1) or m.group(2), m.group(3), m.group(4)), None)
    m = _LANDLINE_BARE_RE.fullmatch(text)
    if m:
        return CheckResult(True, _landline(m.group(1), m.group(2), m.group(3)), None)
    m = _LOCAL_RE.fullmatch(text)
    if m:
        return CheckResult(True, _landline("023", m.group(1), m.group(2)), None, note=_CHONGQING_NOTE)

    if mobile.startswith("1") or text.startswith("+"):
        return CheckResult(False, text, _mobile_error(mobile))
    if text.startswith(("0", "(")):
        return CheckResult(False, text, "座机号码应为区号（以 0 开头，3–4 位）加 7–8 位号码")
    return CheckResult(False, text, "电话号码位数不正确：手机号码 11 位，座机号码 7–8 位（可加区号）")


def check_postcode(raw: str) -> CheckResult:
    """Validate a 6-digit postal code (full-width digits and spaces are normalised)."""
    value = _basic_normalize(raw)
    if not value:
        return CheckResult(False, value, "请填写邮政编码")
    for ch in value:
        if ch not in _ASCII_DIGITS:
            return CheckResult(False, value, f"邮政编码只能包含数字，不能包含{_describe_char(ch)}")
    if len(value) != 6:
        return CheckResult(False, value, f"邮政编码应为 6 位数字，您输入了 {len(value)} 位")
    return CheckResult(True, value, None)
