"""CEL expressions: compilation, the names they read, and the domain functions they may call."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cel

from bot.engine import identifiers
from bot.engine.workdays import WorkCalendar

BUILTIN_NAMES: frozenset[str] = frozenset({"today", "campaign"})
_MACRO_VAR = re.compile(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,")


class ExpressionError(ValueError):
    """An expression that does not compile; `column` is 1-based within the expression."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


def _parse_date(value: object) -> dt.date | None:
    if not isinstance(value, str) or len(value) < 7:
        return None
    text = value if len(value) >= 10 else value[:7] + "-01"
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def months_between(start: object, end: object) -> int | None:
    """Full calendar months from `start` to `end` (dates or year-months as ISO text)."""
    a, b = _parse_date(start), _parse_date(end)
    if a is None or b is None:
        return None
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if b.day < a.day and len(str(start)) >= 10 and len(str(end)) >= 10:
        months -= 1
    return months


def years_between(start: object, end: object) -> int | None:
    """Full years from `start` to `end`, truncated toward zero; negative when `end` is earlier."""
    months = months_between(start, end)
    return None if months is None else int(months / 12)


def age_on(birth: object, day: object) -> int | None:
    return years_between(birth, day)


def id_birth(value: object) -> str | None:
    return identifiers.id_birth(value) if isinstance(value, str) else None


def id_birth_month(value: object) -> str | None:
    return identifiers.id_birth_month(value) if isinstance(value, str) else None


def id_gender(value: object) -> str | None:
    return identifiers.id_gender(value) if isinstance(value, str) else None


_CALENDAR: list[WorkCalendar] = [WorkCalendar()]


def use_calendar(calendar: WorkCalendar) -> None:
    """The working-day calendar `workdays_between` uses (holiday overrides loaded at start-up)."""
    _CALENDAR[0] = calendar


def _workdays_between(start: object, end: object) -> int | None:
    a, b = _parse_date(start), _parse_date(end)
    if a is None or b is None:
        return None
    return _CALENDAR[0].workdays_between(a, b)


def _add_workdays(start: object, n: object) -> str | None:
    """The working day `n` working days after `start` (before it when negative), as ``YYYY-MM-DD``."""
    a = _parse_date(start)
    if a is None or isinstance(n, bool) or not isinstance(n, int) or abs(n) > 3660:
        return None
    return _CALENDAR[0].add_workdays(a, n).isoformat()


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "years_between": years_between,
    "months_between": months_between,
    "age_on": age_on,
    "workdays_between": _workdays_between,
    "add_workdays": _add_workdays,
    "id_birth": id_birth,
    "id_birth_month": id_birth_month,
    "id_gender": id_gender,
}

# CEL's own functions and macros that an author may call.
CEL_FUNCTIONS: frozenset[str] = frozenset(
    {"size", "has", "all", "exists", "exists_one", "map", "filter", "int", "double", "string", "matches"}
    | {"contains", "startsWith", "endsWith", "type", "bool", "uint"}
)


_FAILED = object()
MEMO_LIMIT = 1024


@dataclass(frozen=True)
class Expr:
    """A compiled expression, the names it reads, and a memo of results by input values.

    Expressions are pure functions of their inputs, so a result is reused whenever the same inputs come
    back; only the names an expression reads are converted for CEL, never the whole answer set. Plain
    values key the memo as they are (a name always holds one type: a yes/no field is never a number, so
    True and 1 cannot meet); lists and maps are frozen first.
    """

    source: str
    program: cel.Program
    names: frozenset[str]
    keys: tuple[str, ...] = ()
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False, repr=False)

    def run(self, values: Mapping[str, Any]) -> Any:
        """The result, or raise when the expression cannot be evaluated with these values."""
        key: tuple[Any, ...] = tuple([values.get(name) for name in self.keys])
        try:
            found = self.memo.get(key, _MISSING)
        except TypeError:  # lists and maps (multi-choice answers, group rows) are not hashable
            key = tuple([freeze(k) for k in key])
            found = self.memo.get(key, _MISSING)
        if found is _MISSING:
            try:
                found = self.program.execute(cel.Context({n: values.get(n) for n in self.keys}, FUNCTIONS))
            except (RuntimeError, TypeError, ValueError, LookupError, ZeroDivisionError, OverflowError):
                # LookupError: a row's skipped optional column is absent from the row map (`r.col`)
                found = _FAILED
            if len(self.memo) >= MEMO_LIMIT:
                self.memo.clear()
            self.memo[key] = found
        if found is _FAILED:
            raise ValueError(f"cannot evaluate {self.source!r}")
        return found


_MISSING = object()


def freeze(value: Any) -> Any:
    """A hashable stand-in for a value; numbers and booleans keep their type (True != 1 in CEL)."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is bool or kind is int or kind is float:
        return (kind, value)
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    return repr(value)


def compile_expr(source: str) -> Expr:
    try:
        program = cel.compile(source)
    except (ValueError, RuntimeError) as exc:
        raise ExpressionError(_syntax_message(str(exc)), _syntax_column(str(exc))) from None
    bound = set(_MACRO_VAR.findall(source))
    names = frozenset(n for n in program.variables() if n not in bound)
    unknown = [f for f in program.functions() if _is_named_function(f) and f not in FUNCTIONS]
    unknown = [f for f in unknown if f not in CEL_FUNCTIONS]
    if unknown:
        allowed = "、".join(sorted(FUNCTIONS))
        raise ExpressionError(
            f"未知函数 {unknown[0]!r}；可用的函数：{allowed}（以及 CEL 自带的 size、has 等）"
        )
    return Expr(source=source, program=program, names=names, keys=tuple(sorted(names)))


def _is_named_function(name: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_]\w*", name))


def _syntax_message(raw: str) -> str:
    detail = raw.split("ERROR:", 1)[-1].split("\n", 1)[0]
    detail = re.sub(r"^\s*<input>:\d+:\d+:\s*", "", detail)
    return f"表达式语法错误：{detail.strip()}"


def _syntax_column(raw: str) -> int | None:
    found = re.search(r"<input>:\d+:(\d+)", raw)
    return int(found.group(1)) if found else None


def truthy(expr: Expr, values: Mapping[str, Any]) -> bool:
    """Evaluate a condition; an expression that cannot be evaluated yet (null inputs) is false."""
    try:
        return expr.run(values) is True
    except ValueError:
        return False


def value_of(expr: Expr, values: Mapping[str, Any]) -> Any:
    try:
        return expr.run(values)
    except ValueError:
        return None
