"""Chinese working days (工作日), including make-up working days (调休).

Where the answer for a date comes from, in order:

1. the overrides (``forms/calendar/holidays.yaml`` or a mapping passed in): an explicit entry always wins,
   so the file can also correct a year ``chinese_calendar`` already knows;
2. ``chinese_calendar`` for the years it ships data for (2004–2026 in 1.11; it raises
   ``NotImplementedError`` for other years);
3. for a year in which the overrides list at least one date, Monday–Friday for the dates not listed (the
   file is taken to hold that year's complete arrangement);
4. otherwise Monday–Friday as a *fallback*: :meth:`WorkCalendar.is_fallback` is True and
   :meth:`WorkCalendar.fallback_note` gives a Chinese note to show next to any deadline computed from it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from pathlib import Path

import chinese_calendar
import yaml

__all__ = ["DEFAULT_HOLIDAYS_FILE", "WorkCalendar"]

DEFAULT_HOLIDAYS_FILE = Path(__file__).resolve().parents[2] / "forms" / "calendar" / "holidays.yaml"


def _library_years() -> tuple[int, int]:
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


_LIB_MIN_YEAR, _LIB_MAX_YEAR = _library_years()


def _as_date(d: datetime.date) -> datetime.date:
    return d.date() if isinstance(d, datetime.datetime) else d


class WorkCalendar:
    """Working-day calendar: ``chinese_calendar`` + overrides + a visible weekday-only fallback.

    ``overrides`` maps a date to True (a working day, e.g. a make-up Saturday) or False (a holiday).
    """

    def __init__(self, overrides: Mapping[datetime.date, bool] | None = None) -> None:
        self._overrides: dict[datetime.date, bool] = {
            _as_date(d): bool(v) for d, v in (overrides or {}).items()
        }
        self._override_years = frozenset(d.year for d in self._overrides)
        self._known: dict[datetime.date, bool] = {}  # chinese_calendar's answers, asked once per date

    @classmethod
    def from_file(cls, path: str | Path) -> WorkCalendar:
        """Load overrides from YAML ``{holidays: [YYYY-MM-DD, ...], workdays: [YYYY-MM-DD, ...]}``.

        Both keys are optional and may be empty.  Raises ``ValueError`` on a malformed file (unknown key,
        a value that is not a date, or a date listed both as holiday and as working day).
        """
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping with keys 'holidays' and 'workdays'")
        unknown = set(data) - {"holidays", "workdays"}
        if unknown:
            raise ValueError(f"{path}: unknown keys {sorted(map(str, unknown))}")
        holidays = _parse_dates(data.get("holidays"), f"{path}: holidays")
        workdays = _parse_dates(data.get("workdays"), f"{path}: workdays")
        both = holidays & workdays
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"{path}: listed both as holiday and as working day: {listed}")
        overrides = dict.fromkeys(holidays, False)
        overrides.update(dict.fromkeys(workdays, True))
        return cls(overrides)

    # ----------------------------------------------------------------------------------------------------

    def _library_knows(self, year: int) -> bool:
        return _LIB_MIN_YEAR <= year <= _LIB_MAX_YEAR

    def is_fallback(self, d: datetime.date) -> bool:
        """True when the answer for ``d`` is the weekday-only guess: neither ``chinese_calendar`` nor the
        overrides know ``d``'s year."""
        d = _as_date(d)
        return (
            d not in self._overrides
            and not self._library_knows(d.year)
            and d.year not in self._override_years
        )

    def fallback_note(self, d: datetime.date) -> str | None:
        """Chinese note to show when :meth:`is_fallback` is True for ``d``, else None."""
        return _note([_as_date(d).year]) if self.is_fallback(d) else None

    def fallback_note_between(self, start: datetime.date, end: datetime.date) -> str | None:
        """Note naming every fallback year touched by the dates from ``start`` to ``end`` (inclusive, in
        either order), or None if no date in the range uses the fallback."""
        lo, hi = sorted((_as_date(start), _as_date(end)))
        years = [
            y
            for y in range(lo.year, hi.year + 1)
            if not self._library_knows(y) and y not in self._override_years
        ]
        return _note(years) if years else None

    def is_workday(self, d: datetime.date) -> bool:
        """True if ``d`` is a working day (make-up weekend working days included)."""
        d = _as_date(d)
        override = self._overrides.get(d)
        if override is not None:
            return override
        known = self._known.get(d)
        if known is not None:
            return known
        if self._library_knows(d.year):
            try:
                known = self._known[d] = bool(chinese_calendar.is_workday(d))
                return known
            except NotImplementedError:  # pragma: no cover - library range computed above
                pass
        return d.weekday() < 5

    def workdays_between(self, start: datetime.date, end: datetime.date) -> int:
        """Number of working days ``d`` with ``start < d <= end``; 0 if ``end <= start``.

        The start day itself is never counted and the end day is counted if it is a working day, so a
        notice published on ``start`` has run ``workdays_between(start, today)`` full working days by the
        end of ``today``, and ``workdays_between(start, add_workdays(start, n)) == n`` for ``n >= 1``.
        """
        start, end = _as_date(start), _as_date(end)
        count = 0
        d = start + datetime.timedelta(days=1)
        while d <= end:
            if self.is_workday(d):
                count += 1
            d += datetime.timedelta(days=1)
        return count

    def add_workdays(self, start: datetime.date, n: int) -> datetime.date:
        """The working day ``n`` working days from ``start``.

        * ``n > 0``: the ``n``-th working day strictly after ``start`` (``start`` itself need not be a
          working day), so ``workdays_between(start, result) == n``;
        * ``n < 0``: the ``|n|``-th working day strictly before ``start``, exactly as
          ``chinese_calendar.find_workday(n, start)``;
        * ``n == 0``: ``start`` if it is a working day, else the next working day, as
          ``find_workday(0, start)``.

        For ``n > 0`` this equals ``find_workday(n, start)`` when ``start`` is a working day; when it is
        not, ``find_workday`` first moves to the next working day and then adds ``n``, one day later.
        """
        d = _as_date(start)
        one = datetime.timedelta(days=1)
        if n == 0:
            while not self.is_workday(d):
                d += one
            return d
        step = one if n > 0 else -one
        remaining = abs(n)
        while remaining:
            d += step
            if self.is_workday(d):
                remaining -= 1
        return d


def _note(years: Iterable[int]) -> str:
    years = sorted(set(years))
    named = "、".join(f"{y}年" for y in years)
    verb = "尚未收录" if all(y > _LIB_MAX_YEAR for y in years) else "未收录"
    return f"{named}的法定节假日安排{verb}，按周一至周五计算工作日，仅供参考。"


def _parse_dates(items: object, where: str) -> set[datetime.date]:
    if items is None:
        return set()
    if not isinstance(items, list):
        raise ValueError(f"{where}: expected a list of YYYY-MM-DD dates")
    out: set[datetime.date] = set()
    for item in items:
        if isinstance(item, datetime.datetime):
            out.add(item.date())
        elif isinstance(item, datetime.date):
            out.add(item)
        elif isinstance(item, str):
            try:
                out.add(datetime.date.fromisoformat(item.strip()))
            except ValueError:
                raise ValueError(f"{where}: not a YYYY-MM-DD date: {item!r}") from None
        else:
            raise ValueError(f"{where}: not a YYYY-MM-DD date: {item!r}")
    return out
