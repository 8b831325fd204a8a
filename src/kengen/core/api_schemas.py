"""Small schemas and helpers shared by the apps' API routers."""

import datetime as dt

from django.utils import timezone
from ninja import Schema

from kengen.core.era import wareki
from kengen.core.models import last_day


class Period(Schema):
    valid_from: dt.date
    valid_to: dt.date | None  # exclusive: first day no longer valid
    last_day: dt.date | None  # inclusive, as forms show it
    label_ja: str  # 令和6年4月1日〜令和7年3月31日


def period(obj) -> Period:
    end = last_day(obj.valid_to)
    return Period(
        valid_from=obj.valid_from,
        valid_to=obj.valid_to,
        last_day=end,
        label_ja=f"{wareki(obj.valid_from)}〜{wareki(end)}",
    )


def on_or_today(on: dt.date | None) -> dt.date:
    return on or timezone.localdate()
