"""What Kengen accepts at its boundaries: the one validator for dates, identifiers and text.

Every value the JSON API (django-ninja schemas and query/path parameters) or the UI (forms and
``?on=``) accepts must be one the product can store, list, show and print. A date before the Meiji
era cannot be written in the Japanese era (``core.era``), so a stored ``0001-01-01`` would break
every list and PDF that shows it: such values are refused at the boundary with a clear error
(422 in the API, a form error or 400 in the UI), never stored.

- Dates: from the first day of 明治 (1868-01-25) to :data:`LATEST_DATE`.
- Identifiers: 1 … 2⁶³−1 (a database ``bigint``); larger numbers would overflow the driver.
- Text: at most the model field's ``max_length`` (or a stated limit for text areas), no NUL or
  other control characters (tab and newlines only where a text area allows them), no lone UTF-16
  surrogates (which no database can store).
- Counts: at most :data:`MAX_APPLICATION_LINES` lines in one Form 1, :data:`MAX_LIST_ITEMS`
  entries in any other list.

The API uses the ``Annotated`` types below (``ApiDate``, ``ApiDateTime``, ``Id``, ``Code``, and
``Annotated[str, fits(Model, "field"), SINGLE_LINE]``) and :class:`InSchema` as the base of every request body; the UI's
``core.forms.EraDateField`` calls :func:`check_date`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated, Any

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, Field, model_validator

from kengen.core.era import ERAS

EARLIEST_DATE = ERAS[-1].start  # 明治元年1月25日 (1868-01-25): the first date the era helper can write
LATEST_DATE = dt.date(2999, 12, 31)  # far enough for any validity; leaves room for date arithmetic
MAX_ID = 2**63 - 1  # a database bigint
MAX_OFFSET = 2**31 - 1  # paging further than this is never a real request
MAX_PAGE_SIZE = 1000
MAX_APPLICATION_LINES = 100  # one Form 1; its PDF stays a few pages
MAX_LIST_ITEMS = 200  # permissions of one line, grant IDs of one deletion, …
TEXT_AREA_MAX = 2000  # reasons and notes typed into a text area (TextField in the model)

_ALLOWED_IN_TEXT_AREAS = {"\t", "\n", "\r"}


def date_problem(value: dt.date) -> str | None:
    """Why ``value`` cannot be accepted, or ``None``."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if value < EARLIEST_DATE:
        return _("Dates before the Meiji era (%(date)s) cannot be used.") % {
            "date": EARLIEST_DATE.isoformat()
        }
    if value > LATEST_DATE:
        return _("Dates after %(date)s cannot be used.") % {"date": LATEST_DATE.isoformat()}
    return None


def check_date(value: dt.date) -> dt.date:
    """``value`` if Kengen can store and show it; ``ValueError`` otherwise."""
    if problem := date_problem(value):
        raise ValueError(problem)
    return value


def check_datetime(value: dt.datetime) -> dt.datetime:
    """As :func:`check_date`, with a day's margin either side: the time zone may move the local
    date by one."""
    if problem := date_problem(value.date()):
        raise ValueError(problem)
    if not EARLIEST_DATE < value.date() < LATEST_DATE:
        raise ValueError(date_problem(dt.date.min if value.date() <= EARLIEST_DATE else dt.date.max))
    return value


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored as text, or ``None``."""
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cs":
            return _("The text contains an invalid character (a lone surrogate).")
        if category == "Cc" and not (multiline and ch in _ALLOWED_IN_TEXT_AREAS):
            return _("The text contains a control character (U+%(code)04X).") % {"code": ord(ch)}
    return None


def check_text(value: str, *, multiline: bool = False) -> str:
    if problem := text_problem(value, multiline=multiline):
        raise ValueError(problem)
    return value


def _single_line(value: str) -> str:
    return check_text(value, multiline=False)


def _text_area(value: str) -> str:
    return check_text(value, multiline=True)


def model_max_length(model: Any, field: str) -> int:
    """The ``max_length`` of a model's character field (``TEXT_AREA_MAX`` for a ``TextField``)."""
    return model._meta.get_field(field).max_length or TEXT_AREA_MAX


ApiDate = Annotated[dt.date, AfterValidator(check_date)]
ApiDateTime = Annotated[dt.datetime, AfterValidator(check_datetime)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]  # days, lengths, thresholds in settings

#: Validators for ``Annotated[str, …]``: one line (no control character at all), or a text area
#: (tab and newlines allowed).
SINGLE_LINE = AfterValidator(_single_line)
TEXT_AREA = AfterValidator(_text_area)


def at_most(max_length: int, *, min_length: int = 0) -> Any:
    """Length bounds for ``Annotated[str, at_most(100), SINGLE_LINE]``."""
    return Field(min_length=min_length, max_length=max_length)


def fits(model: Any, field: str, *, min_length: int = 0) -> Any:
    """Length bounds taken from the model field the value is stored in:
    ``Annotated[str, fits(Application, "purpose_note"), SINGLE_LINE]``."""
    return at_most(model_max_length(model, field), min_length=min_length)


#: A system or permission code, a user ID, a staff number, a text version.
Code = Annotated[str, Field(min_length=1, max_length=64), SINGLE_LINE]


def _walk_strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk_strings(k)
            yield from _walk_strings(v)
    elif isinstance(value, list | tuple | set):
        for v in value:
            yield from _walk_strings(v)


class InSchema(Schema):
    """Base of every API request body: no string anywhere in it may carry a NUL, another control
    character other than tab and newlines, or a lone surrogate — whatever its declared type says
    (fields annotated with ``fits``/``at_most`` and ``SINGLE_LINE`` are stricter still: length, and single-line by default)."""

    @model_validator(mode="before")
    @classmethod
    def _no_control_characters(cls, data: Any) -> Any:
        for s in _walk_strings(data):
            if problem := text_problem(s, multiline=True):
                raise ValueError(problem)
        return data
