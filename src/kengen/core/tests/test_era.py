import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kengen.core.era import ERAS, era_of, parse_wareki, wareki


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        (dt.date(2024, 4, 1), "令和6年4月1日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
        (dt.date(1926, 12, 25), "昭和元年12月25日"),
        (dt.date(2026, 3, 31), "令和8年3月31日"),
    ],
)
def test_boundaries_and_first_years_print_as_officially_written(date, expected):
    assert wareki(date) == expected


def test_short_and_year_styles():
    assert wareki(dt.date(2024, 4, 1), style="short") == "R6.4.1"
    assert wareki(dt.date(2019, 5, 1), style="year") == "令和元年"
    assert wareki(None) == ""


def test_dates_before_meiji_are_refused():
    with pytest.raises(ValueError, match="before the Meiji"):
        wareki(dt.date(1868, 1, 24))


@pytest.mark.parametrize("text", ["令和0年1月1日", "令和元年4月30日", "平成32年1月1日", "2024-04-01"])
def test_parse_rejects_impossible_or_foreign_text(text):
    with pytest.raises(ValueError):
        parse_wareki(text)


def test_parse_accepts_full_width_digits_and_short_form():
    assert parse_wareki("令和６年４月１日") == dt.date(2024, 4, 1)
    assert parse_wareki("r6.4.1") == dt.date(2024, 4, 1)
    assert parse_wareki("令和元年5月1日") == dt.date(2019, 5, 1)


dates = st.dates(min_value=dt.date(1868, 1, 25), max_value=dt.date(2200, 12, 31))


@given(dates)
def test_long_form_round_trips(date):
    assert parse_wareki(wareki(date)) == date


@given(dates)
def test_short_form_round_trips(date):
    assert parse_wareki(wareki(date, style="short")) == date


@given(dates)
def test_era_year_is_counted_from_the_era_start_year(date):
    era, year = era_of(date)
    assert date >= era.start
    assert year == date.year - era.start.year + 1
    later = [e for e in ERAS if e.start > era.start]
    assert all(date < e.start for e in later)
    assert ("元年" in wareki(date)) == (year == 1)
