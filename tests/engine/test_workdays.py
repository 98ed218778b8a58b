from __future__ import annotations

import datetime
from pathlib import Path

import chinese_calendar
import pytest

from bot.engine.workdays import DEFAULT_HOLIDAYS_FILE, WorkCalendar

D = datetime.date


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


# ------------------------------------------------------------------------------------------------------
# DOMAIN.md checked values


def test_make_up_saturday_2026_10_10(cal: WorkCalendar) -> None:
    assert D(2026, 10, 10).weekday() == 5
    assert cal.is_workday(D(2026, 10, 10))
    assert not cal.is_fallback(D(2026, 10, 10))
    assert cal.fallback_note(D(2026, 10, 10)) is None


def test_workdays_2026_09_28_to_10_12(cal: WorkCalendar) -> None:
    days = [D(2026, 9, 28) + datetime.timedelta(days=i) for i in range(15)]
    assert [d for d in days if cal.is_workday(d)] == [
        D(2026, 9, 28),
        D(2026, 9, 29),
        D(2026, 9, 30),
        D(2026, 10, 8),
        D(2026, 10, 9),
        D(2026, 10, 10),
        D(2026, 10, 12),
    ]
    # start is excluded, end included
    assert cal.workdays_between(D(2026, 9, 27), D(2026, 10, 12)) == 7
    assert cal.workdays_between(D(2026, 9, 28), D(2026, 10, 12)) == 6


def test_add_workdays_back_ten(cal: WorkCalendar) -> None:
    assert cal.add_workdays(D(2026, 10, 15), -10) == D(2026, 9, 24)
    assert chinese_calendar.find_workday(-10, D(2026, 10, 15)) == D(2026, 9, 24)


# ------------------------------------------------------------------------------------------------------
# conventions


def test_workdays_between_convention(cal: WorkCalendar) -> None:
    mon, tue, fri, sat, sun, next_mon = (D(2025, 3, d) for d in (3, 4, 7, 8, 9, 10))
    assert cal.workdays_between(mon, mon) == 0
    assert cal.workdays_between(tue, mon) == 0  # end before start
    assert cal.workdays_between(mon, tue) == 1
    assert cal.workdays_between(fri, sat) == 0
    assert cal.workdays_between(fri, sun) == 0
    assert cal.workdays_between(fri, next_mon) == 1
    assert cal.workdays_between(mon, next_mon) == 5


def test_add_workdays_matches_find_workday(cal: WorkCalendar) -> None:
    start = D(2025, 9, 1)
    for offset in range(0, 120, 3):
        d = start + datetime.timedelta(days=offset)
        for n in (-15, -5, -1, 0):
            assert cal.add_workdays(d, n) == chinese_calendar.find_workday(n, d), (d, n)
        if cal.is_workday(d):
            for n in (1, 5, 10):
                assert cal.add_workdays(d, n) == chinese_calendar.find_workday(n, d), (d, n)


def test_add_workdays_inverse_of_workdays_between(cal: WorkCalendar) -> None:
    start = D(2025, 9, 1)
    for offset in range(0, 90):
        d = start + datetime.timedelta(days=offset)
        for n in (1, 5, 10):
            end = cal.add_workdays(d, n)
            assert cal.workdays_between(d, end) == n
            assert cal.is_workday(end)


def test_add_workdays_from_a_holiday(cal: WorkCalendar) -> None:
    # 2026-10-01 (National Day): the first working day after it is 10-08
    assert cal.add_workdays(D(2026, 10, 1), 0) == D(2026, 10, 8)
    assert cal.add_workdays(D(2026, 10, 1), 1) == D(2026, 10, 8)
    assert cal.add_workdays(D(2026, 10, 1), -1) == D(2026, 9, 30)


def test_datetime_accepted(cal: WorkCalendar) -> None:
    assert cal.is_workday(datetime.datetime(2026, 10, 10, 9, 30))


# ------------------------------------------------------------------------------------------------------
# fallback and overrides


def test_2027_falls_back_to_weekdays_with_note(cal: WorkCalendar) -> None:
    new_year = D(2027, 1, 1)  # a Friday; no arrangement known yet
    assert cal.is_workday(new_year)
    assert not cal.is_workday(D(2027, 1, 2))
    assert cal.is_fallback(new_year)
    assert cal.fallback_note(new_year) == "2027年的法定节假日安排尚未收录，按周一至周五计算工作日，仅供参考。"
    assert cal.add_workdays(D(2026, 12, 30), 5) == D(2027, 1, 6)
    assert cal.workdays_between(D(2026, 12, 31), D(2027, 1, 8)) == 6
    assert cal.fallback_note_between(D(2026, 12, 1), D(2027, 1, 8)) == cal.fallback_note(new_year)
    assert cal.fallback_note_between(D(2026, 1, 1), D(2026, 12, 31)) is None


def test_fallback_note_names_all_years(cal: WorkCalendar) -> None:
    assert cal.fallback_note_between(D(2028, 3, 1), D(2026, 12, 1)) == (
        "2027年、2028年的法定节假日安排尚未收录，按周一至周五计算工作日，仅供参考。"
    )


def test_mapping_override_makes_2027_holiday() -> None:
    cal = WorkCalendar({D(2027, 1, 1): False, D(2027, 2, 20): True})
    assert not cal.is_workday(D(2027, 1, 1))
    assert cal.is_workday(D(2027, 2, 20))  # a Saturday made a working day
    assert cal.is_workday(D(2027, 1, 4))
    assert not cal.is_fallback(D(2027, 1, 1))
    assert not cal.is_fallback(D(2027, 6, 1))  # the year is known from the overrides
    assert cal.fallback_note(D(2027, 6, 1)) is None
    assert cal.is_fallback(D(2028, 1, 3))


def test_override_file_makes_2027_holiday(tmp_path: Path) -> None:
    path = tmp_path / "holidays.yaml"
    path.write_text(
        "holidays:\n  - 2027-01-01\n  - '2027-10-01'\nworkdays:\n  - 2027-02-20\n",
        encoding="utf-8",
    )
    cal = WorkCalendar.from_file(path)
    assert not cal.is_workday(D(2027, 1, 1))
    assert not cal.is_workday(D(2027, 10, 1))
    assert cal.is_workday(D(2027, 2, 20))
    assert not cal.is_fallback(D(2027, 1, 1))
    assert cal.fallback_note(D(2027, 1, 1)) is None
    # 2026-12-31 (Thu) + 1 working day skips the 2027-01-01 holiday and the weekend
    assert cal.add_workdays(D(2026, 12, 31), 1) == D(2027, 1, 4)
    # known years are unaffected
    assert cal.is_workday(D(2026, 10, 10))


def test_override_wins_over_library() -> None:
    cal = WorkCalendar({D(2026, 10, 10): False})
    assert not cal.is_workday(D(2026, 10, 10))


def test_default_file_loads_and_is_empty() -> None:
    assert DEFAULT_HOLIDAYS_FILE.is_file()
    cal = WorkCalendar.from_file(DEFAULT_HOLIDAYS_FILE)
    assert cal.is_workday(D(2026, 10, 10))


@pytest.mark.parametrize("text", ["", "holidays: []\n", "holidays:\nworkdays:\n"])
def test_empty_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "h.yaml"
    path.write_text(text, encoding="utf-8")
    assert WorkCalendar.from_file(path).is_fallback(D(2027, 1, 1))


@pytest.mark.parametrize(
    "text",
    [
        "- 2027-01-01\n",
        "holiday: [2027-01-01]\n",
        "holidays: 2027-01-01\n",
        "holidays: [not-a-date]\n",
        "holidays: [2027-02-30]\n",
        "holidays: [2027-01-01]\nworkdays: [2027-01-01]\n",
    ],
)
def test_malformed_files_rejected(tmp_path: Path, text: str) -> None:
    path = tmp_path / "h.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError):
        WorkCalendar.from_file(path)


# ------------------------------------------------------------------------------------------------------
# the add_workdays expression function


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('add_workdays("2020-09-28", 4)', "2020-10-10"),  # 2020-10-10 is a make-up Saturday
        ('add_workdays("2020-10-03", 0)', "2020-10-09"),
        ('add_workdays("2020-10-09", -1)', "2020-09-30"),
        ('add_workdays("2020-09", 1)', "2020-09-02"),
        ('workdays_between("2020-09-28", add_workdays("2020-09-28", 7))', 7),
        ("add_workdays(null, 4)", None),
        ('add_workdays("至今", 4)', None),
        ('add_workdays("2020-09-28", 99999)', None),
    ],
)
def test_add_workdays_expression(source: str, expected: object) -> None:
    from bot.engine.expressions import compile_expr, value_of

    assert value_of(compile_expr(source), {}) == expected
