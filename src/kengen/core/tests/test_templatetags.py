import datetime as dt

from django.template import Context, Template
from django.utils import translation

from kengen.core.templatetags.kengen import last_day, wareki


def test_wareki_filter_prints_the_japanese_era():
    with translation.override("ja"):
        assert wareki(dt.date(2024, 4, 1)) == "令和6年4月1日"
        assert wareki(dt.date(2019, 5, 1)) == "令和元年5月1日"
        assert wareki(None) == ""


def test_wareki_filter_adds_the_gregorian_date_in_english():
    with translation.override("en"):
        assert wareki(dt.date(2024, 4, 1)) == "R6.4.1 (2024-04-01)"


def test_last_day_turns_an_exclusive_end_into_the_inclusive_last_day():
    assert last_day(dt.date(2026, 4, 1)) == dt.date(2026, 3, 31)
    assert last_day(None) is None


def test_period_tag_shows_the_inclusive_last_day():
    class Obj:
        valid_from = dt.date(2024, 4, 1)
        valid_to = dt.date(2026, 4, 1)

    with translation.override("ja"):
        html = Template("{% load kengen %}{% period obj %}").render(Context({"obj": Obj()}))
        assert "令和6年4月1日" in html
        assert "〜" in html
        assert "令和8年3月31日" in html
        assert 'datetime="2026-03-31"' in html
        open_ended = Template("{% load kengen %}{{ d|last_day|wareki }}").render(
            Context({"d": dt.date(2026, 4, 1)})
        )
        assert open_ended == "令和8年3月31日"
