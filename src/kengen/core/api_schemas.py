"""Small schemas and helpers shared by the apps' API routers."""

import datetime as dt

from django.utils import timezone
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

from kengen.core.bounds import MAX_OFFSET, MAX_PAGE_SIZE
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


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` with bounds (``core.bounds``): a number too large for the database is a
    422, never a 500, and no page is larger than ``MAX_PAGE_SIZE`` rows."""

    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_PAGE_SIZE)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def __init__(self, **kwargs):
        super().__init__(max_limit=MAX_PAGE_SIZE, **kwargs)
