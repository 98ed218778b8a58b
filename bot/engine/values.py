"""Turning what an applicant typed into a checked value, per field type; errors are short Chinese sentences."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from bot.engine import identifiers
from bot.engine.program import FieldInfo
from bot.engine.spec import (
    DateField,
    FileField,
    IdNumberField,
    ImageField,
    LongTextField,
    MobileField,
    MultiChoiceField,
    NumberField,
    PhoneField,
    PostcodeField,
    TextField,
    UsccField,
    YearMonthField,
    YesNoField,
)
from bot.engine.text import as_text

PRESENT = "至今"
YES_WORDS = frozenset({"是", "是的", "对", "有", "y", "yes", "true", "1", "√", "好", "确认", "正确"})
NO_WORDS = frozenset({"否", "不是", "不", "没有", "无", "n", "no", "false", "2", "×", "不对"})
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]"
)
_SPLIT = re.compile(r"[\s,，、;；/]+")
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


class Invalid(ValueError):
    """An answer that cannot be accepted; the message says why, in Chinese."""


@dataclass(frozen=True)
class Parsed:
    value: Any
    note: str | None = None


def clean_text(raw: str, *, multiline: bool = False) -> str:
    """NFC, half-width ASCII, no control characters; newlines kept only for long texts."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    text = _CONTROL.sub("", text)
    return text.strip()


def halfwidth(text: str) -> str:
    return "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in text).replace(
        "\u3000", " "
    )


def parse(info: FieldInfo, raw: str, today: dt.date) -> Parsed:
    f = info.field
    if isinstance(f, TextField | LongTextField):
        return Parsed(_text(f, raw))
    text = halfwidth(clean_text(raw))
    if not text:
        raise Invalid("没有收到内容，请再输入一次。")
    if len(text) > 200:
        raise Invalid(f"内容太长（{len(text)} 字），这一题只需要简短的回答。")
    if isinstance(f, NumberField):
        return Parsed(_number(f, text))
    if isinstance(f, DateField):
        return Parsed(_date(f, text, today))
    if isinstance(f, YearMonthField):
        return Parsed(_year_month(f, text, today))
    if isinstance(f, YesNoField):
        return Parsed(_yes_no(text))
    if isinstance(f, MultiChoiceField):
        return Parsed(_multi(f, info.choices or (), text))
    if info.choices is not None:
        return Parsed(match_choice(info.choices, text))
    if isinstance(f, IdNumberField):
        result = identifiers.check_id_number(text, today=today)
        if not result.ok:
            raise Invalid(result.error or "证件号码不正确。")
        return Parsed(result.value)
    checker = {MobileField: identifiers.check_mobile, PhoneField: identifiers.check_phone}
    checker |= {PostcodeField: identifiers.check_postcode, UsccField: identifiers.check_uscc}
    for cls, check in checker.items():
        if isinstance(f, cls):
            outcome = check(text)
            if not outcome.ok:
                raise Invalid(outcome.error or "格式不正确。")
            return Parsed(outcome.value, outcome.note)
    if isinstance(f, ImageField | FileField):
        raise Invalid("这一题需要上传文件，请发送照片或文件，而不是文字。")
    raise Invalid("无法识别的题型。")


def parse_plain_id(raw: str) -> Parsed:
    """An identity document other than the resident ID card: free text, up to 30 characters."""
    text = halfwidth(clean_text(raw)).replace(" ", "").upper()
    if not text:
        raise Invalid("没有收到内容，请再输入一次。")
    if len(text) > 30 or not re.fullmatch(r"[A-Z0-9()\-]+", text):
        raise Invalid("证件号码只能包含字母、数字和括号，最多 30 位。")
    return Parsed(text)


def parse_file(info: FieldInfo, upload: dict[str, Any]) -> Parsed:
    f = info.field
    mime = str(upload.get("mime", ""))
    size = int(upload.get("size", 0))
    if not isinstance(f, ImageField | FileField):
        raise Invalid("这一题需要文字回答，不需要上传文件。")
    if size > f.max_mb * 1024 * 1024:
        raise Invalid(f"文件太大（{size / 1048576:.1f} MB），最大 {f.max_mb:g} MB。")
    allowed = IMAGE_TYPES if isinstance(f, ImageField) else frozenset(f.accept)
    if mime not in allowed:
        raise Invalid(
            "文件类型不支持，请上传 JPG 或 PNG 照片。" if isinstance(f, ImageField) else "文件类型不支持。"
        )
    ref = str(upload.get("ref", ""))
    if not ref:
        raise Invalid("文件没有保存成功，请重新上传。")
    return Parsed({"ref": ref, "mime": mime, "size": size, "name": str(upload.get("name", ""))[:100]})


def _text(f: TextField | LongTextField, raw: str) -> str:
    text = clean_text(raw, multiline=isinstance(f, LongTextField))
    if len(text) > f.max_length:
        raise Invalid(f"内容太长：最多 {f.max_length} 字，您输入了 {len(text)} 字。")
    if len(text) < max(f.min_length, 1):
        raise Invalid("没有收到内容，请再输入一次。" if not text else f"内容太短：至少 {f.min_length} 字。")
    if isinstance(f, TextField) and f.pattern and not re.fullmatch(f.pattern, text):
        raise Invalid(f.pattern_message or "格式不符合要求。")
    return text


def _number(f: NumberField, text: str) -> int | float:
    found = re.fullmatch(r"([-+]?\d+(?:\.\d+)?)\s*([^\d]{0,4})", text)
    if not found:
        raise Invalid("请输入一个数字，例如 5。")
    number = float(found.group(1))
    if f.integer and number != int(number):
        raise Invalid("请输入整数，例如 5。")
    if f.min is not None and number < f.min:
        raise Invalid(f"不能小于 {f.min:g}{f.unit or ''}。")
    if f.max is not None and number > f.max:
        raise Invalid(f"不能大于 {f.max:g}{f.unit or ''}。")
    return int(number) if number == int(number) and abs(number) < 1e15 else number


_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_MONTH_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月?"),
    re.compile(r"(\d{4})(\d{2})"),
)


def read_date(text: str) -> dt.date:
    for form in _DATE_FORMS:
        found = form.fullmatch(text.replace(" ", ""))
        if found:
            y, m, d = (int(g) for g in found.groups())
            try:
                return dt.date(y, m, d)
            except ValueError:
                raise Invalid(f"日期 {y}年{m}月{d}日 不存在，请核对。") from None
    raise Invalid("日期格式不对，请按 年-月-日 输入。")


def _bound(text: str | None, today: dt.date) -> str | None:
    return today.isoformat() if text == "today" else text


def _check_range(value: str, low: str | None, high: str | None, today: dt.date, shown: str) -> None:
    if high is not None and value > high[: len(value)]:
        limit = "今天" if high.startswith(today.isoformat()[: len(value)]) else high
        raise Invalid(f"{shown} 晚于{limit}，请核对。" if limit == "今天" else f"{shown} 不能晚于 {limit}。")
    if low is not None and value < low[: len(value)]:
        raise Invalid(f"{shown} 不能早于 {low}。")


def _date(f: DateField, text: str, today: dt.date) -> str:
    value = read_date(text).isoformat()
    if value < "1900-01-01":
        raise Invalid("日期太早，请核对年份。")
    _check_range(value, _bound(f.min, today), _bound(f.max, today), today, value)
    return value


def _year_month(f: YearMonthField, text: str, today: dt.date) -> str:
    if text in (PRESENT, "今", "现在", "目前", "至今在职"):
        if f.allow_present:
            return PRESENT
        raise Invalid("这一题请填写具体年月。")
    compact = text.replace(" ", "")
    value = None
    try:
        value = read_date(compact).isoformat()[:7]
    except Invalid as exc:
        if "不存在" in str(exc):
            raise
    if value is None:
        for form in _MONTH_FORMS:
            found = form.fullmatch(compact)
            if found:
                year, month = int(found.group(1)), int(found.group(2))
                if not 1 <= month <= 12:
                    raise Invalid(f"月份 {month} 不存在，请核对。")
                value = f"{year:04d}-{month:02d}"
                break
    if value is None:
        raise Invalid("年月格式不对，请按 年-月 输入。")
    if value < "1900-01":
        raise Invalid("年份太早，请核对。")
    _check_range(value, _bound(f.min, today), _bound(f.max, today), today, value)
    return value


def _yes_no(text: str) -> bool:
    lowered = text.lower().rstrip("。.!！")
    if lowered in YES_WORDS:
        return True
    if lowered in NO_WORDS:
        return False
    raise Invalid("请回答“是”或“否”。")


def match_choice(options: tuple[str, ...], text: str) -> str:
    cleaned = halfwidth(text.strip().rstrip("。."))
    if cleaned.isdigit():
        index = int(cleaned)
        if 1 <= index <= len(options):
            return options[index - 1]
        raise Invalid(f"没有第 {index} 项，请回复 1 到 {len(options)} 之间的编号。")
    for option in options:
        if cleaned.lower() == halfwidth(option).lower():
            return option
    starts = [o for o in options if halfwidth(o).startswith(cleaned) or cleaned in halfwidth(o).split("/")]
    if len(starts) == 1:
        return starts[0]
    raise Invalid(f"“{_short(cleaned)}”不是可选项，请回复编号或选项文字。")


def _multi(f: MultiChoiceField, options: tuple[str, ...], text: str) -> list[str]:
    if f.exclusive and text.strip().lower() in NO_WORDS - {"2"}:
        return [f.exclusive[0]]
    picked: list[str] = []
    rest = halfwidth(text)
    for option in sorted(options, key=len, reverse=True):  # whole options first: they may contain 、
        if len(option) > 1 and halfwidth(option) in rest:
            picked.append(option)
            rest = rest.replace(halfwidth(option), " ")
    for part in (p for p in _SPLIT.split(rest) if p):
        choice = match_choice(options, part)
        if choice not in picked:
            picked.append(choice)
    exclusive = [p for p in picked if p in f.exclusive]
    if exclusive and len(picked) > 1:
        raise Invalid(f"“{exclusive[0]}”不能和其他选项同时选择。")
    if len(picked) < f.min_selected:
        raise Invalid(f"请至少选择 {f.min_selected} 项。")
    if f.max_selected is not None and len(picked) > f.max_selected:
        raise Invalid(f"最多选择 {f.max_selected} 项。")
    return [o for o in options if o in picked]


def _short(text: str) -> str:
    return text if len(text) <= 20 else text[:20] + "…"


def display(info: FieldInfo, value: Any) -> str:
    """An answer as the applicant reads it back (ID numbers masked)."""
    if isinstance(value, dict):
        return "已上传" if value.get("ref") else ""
    if isinstance(info.field, IdNumberField) and isinstance(value, str) and len(value) == 18:
        return identifiers.mask_id_number(value)
    if info.field.sensitive and isinstance(value, str):
        return mask(value)
    return as_text(value)


def mask(text: str) -> str:
    """Sensitive text on screen: the first 3 and last 2 characters at most, the rest as *."""
    keep_head, keep_tail = (3, 2) if len(text) >= 8 else (1, 1) if len(text) >= 3 else (0, 0)
    return text[:keep_head] + "*" * (len(text) - keep_head - keep_tail) + text[len(text) - keep_tail :]
