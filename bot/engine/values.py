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
UNKNOWN = "待核实"  # how an answer settled as 不清楚 (unknown_ok) is shown back
# The one place where the words for yes, no, none and "I don't know" live (flow.py reads them too).
YES_WORDS = frozenset(
    {
        # "no problem / no error" starts with a negative word but says yes: listed whole, checked first
        "没问题",
        "没有问题",
        "无误",
        "确认无误",
        "正确无误",
        "准确无误",
        "是",
        "是的",
        "对",
        "对的",
        "有",
        "有的",
        "嗯",
        "嗯嗯",
        "好",
        "好的",
        "行",
        "可以",
        "确认",
        "确定",
        "正确",
    }
    | {"没错", "没问题", "不错", "一致", "符合", "合格", "都合格", "都符合", "都是", "在编", "在职", "同意"}
    | {"y", "yes", "true", "ok", "1", "√"}
)
NO_WORDS = frozenset(
    {"否", "否的", "不是", "不", "没有", "没", "无", "不对", "不用", "不用了", "不符合", "不一致", "不合格"}
    | {"都不是", "都没有", "不需要", "不要", "不行", "n", "no", "false", "2", "×"}
)
NONE_WORDS = frozenset(
    {"没有", "无", "暂无", "没", "不用", "不用了", "都没有", "跳过", "不填", "无此项", "暂时没有", "暂没有"}
    | {"不需要", "不适用", "无需", "以上都没有", "都不是", "没有呢", "空"}
)
UNKNOWN_WORDS: tuple[str, ...] = ("不清楚", "不知道", "不确定", "不了解", "不晓得", "不太清楚", "不太确定")
UNKNOWN_WORDS += ("不太了解", "不记得", "记不清", "说不清", "不知", "待确认", "待核实")
# An option meaning "none of these": words for none choose it instead of skipping.
NONE_OPTIONS = frozenset({"无", "没有", "无以上情形", "以上都没有", "以上均无", "以上都不具备", "都没有"})
_PARTICLES = "了的吧啊呀呢哈嘛哦噢哟啦哇嘞"
_PUNCT = re.compile(r"[\s,，、;；。.!！?？~～…:：\"“”'‘’()（）\[\]【】]+")
_NEG_LEAD = (
    "不",
    "没",
    "否",
    "无",
    "未",
    "非",
    "都不",
    "都没",
    "均不",
    "均未",
    "并不",
    "并没",
    "从未",
    "还没",
    "尚未",
)
_YES_LEAD = (
    "是",
    "对",
    "有",
    "嗯",
    "好",
    "在",
    "符合",
    "一致",
    "合格",
    "都",
    "均",
    "确认",
    "确定",
    "可以",
    "同意",
)
_NEG_INSIDE = re.compile(r"[不没否无未非]")
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
}
_CN_DIGITS |= {"八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_CN_NUMBER = re.compile(r"[零〇○一二两三四五六七八九十百千万]+")
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


def plain(text: str) -> str:
    """An answer reduced for word matching: half-width, lower case, no spaces or punctuation, no trailing
    particles (了、的、吧…) when something is left."""
    text = _PUNCT.sub("", halfwidth(clean_text(text)).lower())
    while len(text) > 1 and text[-1] in _PARTICLES:
        text = text[:-1]
    return text


def alias_key(text: str) -> str:
    """How options and aliases are compared: half-width, lower case, no spaces or trailing 。."""
    return halfwidth(clean_text(text)).lower().replace(" ", "").rstrip("。.")


def chinese_int(text: str) -> int | None:
    """二十八 → 28, 一百零五 → 105, 两 → 2, 二〇〇八 → 2008 (digits without units); None if not a numeral."""
    if not text or len(text) > 12 or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in text):
        return None
    if not any(c in _CN_UNITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    total = section = digit = 0
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        elif c == "万":
            total += (section + digit) * 10000
            section = digit = 0
        else:
            section += (digit or (1 if c == "十" else 0)) * _CN_UNITS[c]
            digit = 0
    return total + section + digit


def arabic(text: str) -> str:
    """Chinese numerals in a text written as digits: 二〇〇八年七月 → 2008年7月."""

    def one(found: re.Match[str]) -> str:
        value = chinese_int(found.group(0))
        return found.group(0) if value is None else str(value)

    return _CN_NUMBER.sub(one, text)


def yes_no_word(text: str) -> bool | None:
    """True or False for the usual ways of saying yes or no (是的，在编 / 都合格 / 不用了 / 不一致 …),
    decided by the leading words of the first phrase; None when unclear or said both ways."""
    cleaned = halfwidth(clean_text(text)).lower()
    if not cleaned or len(cleaned) > 40:
        return None
    verdicts = [_yes_no_phrase(p) for p in _PUNCT.split(cleaned) if p]
    verdicts = [v for v in verdicts if v != "?"] if verdicts and verdicts[0] != "?" else verdicts
    if not verdicts or not isinstance(verdicts[0], bool):
        return None
    first = verdicts[0]
    if any(v is (not first) or v is None for v in verdicts[1:]):
        return None
    return first


def _yes_no_phrase(phrase: str) -> bool | str | None:
    """One phrase: True, False, None (both ways, e.g. 有没有) or "?" (says neither)."""
    word = plain(phrase)
    for lead in ("我们", "我", "本人", "嗯"):
        if word.startswith(lead) and len(word) > len(lead) and word != "嗯嗯":
            word = word[len(lead) :]
            break
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    if word.startswith(UNKNOWN_WORDS):
        return None
    if word.startswith(_NEG_LEAD):
        return False
    for lead in _YES_LEAD:
        if word.startswith(lead):
            return None if _NEG_INSIDE.search(word[len(lead) :]) else True
    return "?"


def is_none_word(text: str, *, free_text: bool = False) -> bool:
    """没有 / 无 / 暂无 / 不用了 / 跳过 …: the applicant has nothing to give. In a free text also 没有… and
    暂无… followed by a few words (没有主管部门), but not 无… (无锡 is a place)."""
    word = plain(text)
    if word in NONE_WORDS:
        return True
    if free_text and len(word) <= 10:
        return word.startswith(("没有", "暂无", "暂时没有", "目前没有"))
    return False


def is_unknown_word(text: str) -> bool:
    """不清楚 / 不知道 / 不确定 …, alone or followed by a few words (不清楚，要问单位)."""
    word = plain(text)
    return len(word) <= 16 and word.startswith(UNKNOWN_WORDS)


@dataclass(frozen=True)
class Special:
    """An answer that is not a value: `unknown` (不清楚), `none` (没有/跳过), `year` (a year-month given as
    a year only: ask for the month) or `text` (the year asked before with this month: parse `text`)."""

    kind: str
    year: int | None = None
    text: str = ""


def special(info: FieldInfo, raw: str, year_asked: int | None = None) -> Special | None:
    """What an answer means before it is parsed as a value; None when it is to be parsed as typed.
    `year_asked` is the year of a year-only answer given to this same question just before."""
    f = info.field
    if len(raw) > 400:
        return None  # a long answer is never one of these words; the field's own checks apply
    text = arabic(halfwidth(clean_text(raw)).replace(" ", ""))
    if isinstance(f, YearMonthField) and len(text) <= 20:
        month = re.fullmatch(r"(\d{1,2})(?:月份?)?", text)
        if year_asked is not None and month:
            return Special("text", text=f"{year_asked}-{int(month.group(1))}")
        year = re.fullmatch(r"(\d{4})(?:年|年份)?", text)
        if year and 1900 <= int(year.group(1)) <= 2100:
            return Special("year", year=int(year.group(1)))
    if isinstance(f, YesNoField) and not is_unknown_word(raw):
        return None  # 没有 / 不用了 answer the question: no
    free = isinstance(f, TextField | LongTextField)
    if free and f.required and is_none_word(raw, free_text=True):
        asked = f"{f.prompt} {f.help or ''}"
        quoted = [w for w in ("无", "没有", "暂无") if f"“{w}”" in asked]
        if quoted:  # the question itself says what to write when there is nothing: （没有请回复“无”）
            return Special("text", text=quoted[0])
    if (is_unknown_word(raw) or is_none_word(raw, free_text=free)) and not (
        info.choices and _names_an_option(info, raw)
    ):
        return Special("unknown" if is_unknown_word(raw) else "none")
    return None


def _names_an_option(info: FieldInfo, raw: str) -> bool:
    """Whether a choice answer picks an option (as 不清楚 or 无 may be one, or an exclusive 'none')."""
    try:
        if isinstance(info.field, MultiChoiceField):
            _multi(info.field, info.choices or (), halfwidth(clean_text(raw)), info.aliases)
        else:
            match_choice(info.choices or (), halfwidth(clean_text(raw)), info.aliases)
    except Invalid:
        return False
    return True


def must_answer(info: FieldInfo, kind: str) -> str:
    """Why a required question cannot be left empty, and what to do instead."""
    title = info.title
    whom = info.field.confirm_with
    if whom:
        return f"“{title}”是必填项，不能跳过。如果不清楚，可回复“不清楚”，提交前再向{whom}核实。"
    if kind == "unknown":
        return (
            f"“{title}”是必填项，申报表上不能空着。请先向单位或相关部门问清楚再回答；"
            "可以先回复“结束”保存，问清后再继续。"
        )
    return f"“{title}”是必填项，申报表上不能空着，请填写。"


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
        return Parsed(_multi(f, info.choices or (), text, info.aliases))
    if info.choices is not None:
        return Parsed(match_choice(info.choices, text, info.aliases))
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


_NUMBER = re.compile(
    r"(?:约|大约|大概|差不多|共|一共|总共|累计)?\s*([-+]?\d+(?:\.\d+)?|[零〇○一二两三四五六七八九十百千万]+(?:点[零〇○一二三四五六七八九]+)?)"
    r"\s*([^\d零〇○一二两三四五六七八九十百千万]{0,4})"
)


def read_number(text: str) -> float | None:
    """28 / 二十八年 / 两年 / 十五个 / 一百二十 / 三点五: the number, or None."""
    found = _NUMBER.fullmatch(text.strip())
    if not found:
        return None
    digits = found.group(1)
    if digits[0] in "+-" or digits[0].isdigit():
        return float(digits)
    whole, _, fraction = digits.partition("点")
    value = chinese_int(whole)
    if value is None:
        return None
    if fraction:
        return float(f"{value}.{''.join(str(_CN_DIGITS[c]) for c in fraction)}")
    return float(value)


def _number(f: NumberField, text: str) -> int | float:
    number = read_number(text)
    example = "" if f.example else "，例如 5"  # the field's own example is shown with the question
    if number is None:
        raise Invalid(f"请输入一个数字{example}。")
    if f.integer and number != int(number):
        raise Invalid(f"请输入整数{example}。")
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
        found = form.fullmatch(arabic(text.replace(" ", "")).rstrip("份"))
        if found:
            y, m, d = (int(g) for g in found.groups())
            try:
                return dt.date(y, m, d)
            except ValueError:
                raise Invalid(f"日期 {y}年{m}月{d}日 不存在，请核对。") from None
    raise Invalid("日期格式不对，请按 年-月-日 输入。")


def _bound(text: str | None, today: dt.date) -> str | None:
    return today.isoformat() if text == "today" else text


def written(iso: str) -> str:
    """2021-07-23 → 2021年7月23日, 2021-07 → 2021年7月: dates as the engine writes them to people."""
    parts = iso.split("-")
    if not all(p.isdigit() for p in parts) or not 2 <= len(parts) <= 3:
        return iso
    return "".join(f"{int(p)}{unit}" for p, unit in zip(parts, "年月日", strict=False))


def _check_range(value: str, low: str | None, high: str | None, today: dt.date, shown: str) -> None:
    shown = written(shown)
    if high is not None and value > high[: len(value)]:
        limit = "今天" if high.startswith(today.isoformat()[: len(value)]) else written(high[: len(value)])
        raise Invalid(f"{shown} 晚于{limit}，请核对。" if limit == "今天" else f"{shown} 不能晚于 {limit}。")
    if low is not None and value < low[: len(value)]:
        raise Invalid(f"{shown} 不能早于 {written(low[: len(value)])}。")


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
    compact = arabic(text.replace(" ", "")).replace("月份", "月")
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
    answer = yes_no_word(text)
    if answer is None:
        raise Invalid("没看明白您的意思，请回答“是”或“否”。")
    return answer


def match_choice(options: tuple[str, ...], text: str, aliases: tuple[tuple[str, str], ...] = ()) -> str:
    """An option from its number, its text, one of its aliases, a unique beginning (汉 → 汉族), or a
    sentence naming exactly one option or alias (中级职称 → 中级); else Invalid."""
    cleaned = halfwidth(text.strip().rstrip("。."))
    numbered = re.fullmatch(r"第?\s*(\d{1,3})\s*[项个条]?", cleaned)
    if numbered:
        index = int(numbered.group(1))
        if 1 <= index <= len(options):
            return options[index - 1]
        raise Invalid(f"没有第 {index} 项，请从下面的 {len(options)} 个选项中选择。")
    words = [(alias_key(o), o) for o in options] + [(w, o) for w, o in aliases if o in options]
    for probe in dict.fromkeys((alias_key(cleaned), plain(cleaned))):
        for word, option in words:
            if probe == word:
                return option
    key = plain(cleaned)
    if key in NONE_WORDS:
        none = [o for o in options if o in NONE_OPTIONS]
        if len(none) == 1:
            return none[0]
    starts = {o for o in options if alias_key(o).startswith(key) or key in alias_key(o).split("/")}
    if key and len(starts) == 1:
        return starts.pop()
    named = _named(words, key)
    if named is not None:
        return named
    raise Invalid(f"“{_short(cleaned)}”不在可选项中，请从选项中选一个。")


def _named(words: list[tuple[str, str]], key: str) -> str | None:
    """The one option a short sentence names (我是中级职称 → 中级), unless it also negates (不是中级)."""
    if len(key) > 20 or _NEG_INSIDE.search(key):
        return None
    found = [(w, o) for w, o in words if len(w) >= 2 and w in key]
    found = [(w, o) for w, o in found if not any(w != v and w in v for v, _ in found)]
    options = {o for _, o in found}
    return options.pop() if len(options) == 1 else None


def _multi(
    f: MultiChoiceField, options: tuple[str, ...], text: str, aliases: tuple[tuple[str, str], ...] = ()
) -> list[str]:
    word = plain(text)
    if f.exclusive and (word in NONE_WORDS or word in NO_WORDS - {"2", "n", "no", "false"}):
        return [f.exclusive[0]]
    picked: list[str] = []
    rest = halfwidth(text)
    for option in sorted(options, key=len, reverse=True):  # whole options first: they may contain 、
        if len(option) > 1 and halfwidth(option) in rest:
            picked.append(option)
            rest = rest.replace(halfwidth(option), " ")
    for part in (p for p in _SPLIT.split(rest) if p):
        choice = match_choice(options, part, aliases)
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
