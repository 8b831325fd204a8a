import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kengen.core.dates import fiscal_year, fiscal_year_end, fiscal_year_period, fiscal_year_start

DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9998, 12, 31))


@pytest.mark.parametrize(
    ("date", "year"),
    [
        (dt.date(2025, 4, 1), 2025),
        (dt.date(2026, 3, 31), 2025),
        (dt.date(2026, 4, 1), 2026),
        (dt.date(2026, 1, 1), 2025),
        (dt.date(2025, 12, 31), 2025),
    ],
)
def test_the_fiscal_year_turns_on_april_first(date, year):
    assert fiscal_year(date) == year


@given(DATES)
def test_every_date_lies_in_its_fiscal_year(date):
    start, end = fiscal_year_period(date)
    assert start <= date < end
    assert (start.month, start.day, end.month, end.day) == (4, 1, 4, 1)
    assert end.year == start.year + 1 == fiscal_year(date) + 1


@given(DATES)
def test_the_next_fiscal_year_starts_where_this_one_ends(date):
    end = fiscal_year_end(date)
    assert fiscal_year_start(end) == end
    assert fiscal_year(end) == fiscal_year(date) + 1
    assert fiscal_year_end(end - dt.timedelta(days=1)) == end


@given(DATES, DATES)
def test_fiscal_years_are_ordered_like_dates(a, b):
    if a <= b:
        assert fiscal_year(a) <= fiscal_year(b)
