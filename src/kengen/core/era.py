"""Japanese era (和暦) dates: the one formatting and parsing helper used everywhere.

Official documents print the first year of an era as 元年 (令和元年5月1日). Era boundaries are the
days the new era began (令和: 2019-05-01, 平成: 1989-01-08, 昭和: 1926-12-25, 大正: 1912-07-30,
明治: 1868-01-25 in the Gregorian calendar). Dates before 明治 are not supported.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Era:
    name: str  # 令和
    letter: str  # R
    romaji: str  # Reiwa
    start: dt.date


ERAS: tuple[Era, ...] = (
    Era("令和", "R", "Reiwa", dt.date(2019, 5, 1)),
    Era("平成", "H", "Heisei", dt.date(1989, 1, 8)),
    Era("昭和", "S", "Showa", dt.date(1926, 12, 25)),
    Era("大正", "T", "Taisho", dt.date(1912, 7, 30)),
    Era("明治", "M", "Meiji", dt.date(1868, 1, 25)),
)


def era_of(date: dt.date) -> tuple[Era, int]:
    """The era and the year within it (1 = 元年) of ``date``."""
    for era in ERAS:
        if date >= era.start:
            return era, date.year - era.start.year + 1
    raise ValueError(f"{date.isoformat()} is before the Meiji era")


def _year_label(year: int) -> str:
    return "元" if year == 1 else str(year)


def wareki(date: dt.date | dt.datetime | None, *, style: str = "long") -> str:
    """Format ``date`` in the Japanese era.

    ``long``: 令和6年4月1日 (official documents); ``year``: 令和6年; ``short``: R6.4.1;
    ``None`` gives an empty string so templates can pass optional dates.
    """
    if date is None:
        return ""
    if isinstance(date, dt.datetime):
        date = date.date()
    era, year = era_of(date)
    if style == "long":
        return f"{era.name}{_year_label(year)}年{date.month}月{date.day}日"
    if style == "year":
        return f"{era.name}{_year_label(year)}年"
    if style == "short":
        return f"{era.letter}{year}.{date.month}.{date.day}"
    raise ValueError(f"unknown style {style!r}")


def wareki_datetime(value: dt.datetime) -> str:
    """令和6年4月1日 9時05分 for a datetime already in local time."""
    return f"{wareki(value)} {value.hour}時{value.minute:02d}分"


_LONG = re.compile(r"^(明治|大正|昭和|平成|令和)(元|\d{1,3})年(\d{1,2})月(\d{1,2})日$")
_SHORT = re.compile(r"^([MTSHR])(\d{1,3})[./-](\d{1,2})[./-](\d{1,2})$", re.IGNORECASE)


def parse_wareki(text: str) -> dt.date:
    """Parse 令和6年4月1日, 令和元年5月1日 or R6.4.1 (full-width digits accepted).

    Raises ``ValueError`` for text that is not such a date or names a day outside its era.
    """
    s = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if m := _LONG.match(s):
        era = next(e for e in ERAS if e.name == m.group(1))
        year = 1 if m.group(2) == "元" else int(m.group(2))
    elif m := _SHORT.match(s):
        era = next(e for e in ERAS if e.letter == m.group(1).upper())
        year = int(m.group(2))
    else:
        raise ValueError(f"not a Japanese-era date: {text!r}")
    if year < 1:
        raise ValueError(f"year 0 does not exist: {text!r}")
    date = dt.date(era.start.year + year - 1, int(m.group(3)), int(m.group(4)))
    if era_of(date)[0] != era:
        raise ValueError(f"{text!r} is outside the {era.name} era")
    return date
