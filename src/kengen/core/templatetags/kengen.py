"""Template filters and tags shared by every page: ``{% load kengen %}``.

- ``{{ date|wareki }}``: 令和6年4月1日 (Japanese) / R6.4.1 (2024-04-01) (English).
- ``{{ grant.valid_to|last_day }}``: the inclusive last day of an exclusive ``valid_to``.
- ``{% era date %}``: the date in a ``<time datetime=…>`` element.
- ``{% period obj %}``: 「令和6年4月1日〜令和8年3月31日」 from ``valid_from`` / ``valid_to``.
- ``{% query_replace page=2 %}``: the current query string with some parameters replaced.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.conf import settings
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from kengen.core import era as era_mod
from kengen.core.models import last_day as _last_day

register = template.Library()


def _as_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _japanese() -> bool:
    return (translation.get_language() or "ja").startswith("ja")


@register.filter
def wareki(value: Any, style: str = "long") -> str:
    """The date in the Japanese era; English pages add the Gregorian date."""
    date = _as_date(value)
    if date is None:
        return ""
    if _japanese():
        return era_mod.wareki(date, style=style)
    return f"{era_mod.wareki(date, style='short')} ({date.isoformat()})"


@register.filter
def wareki_datetime(value: Any) -> str:
    """令和6年4月1日 9時05分 in local time."""
    if not isinstance(value, dt.datetime):
        return wareki(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if _japanese():
        return era_mod.wareki_datetime(local)
    return f"{era_mod.wareki(local.date(), style='short')} ({local:%Y-%m-%d %H:%M})"


@register.filter
def last_day(valid_to: Any) -> dt.date | None:
    """The inclusive last day of an interval whose exclusive end is ``valid_to``."""
    date = _as_date(valid_to)
    return _last_day(date)


@register.simple_tag
def era(value: Any, style: str = "long") -> str:
    date = _as_date(value)
    if date is None:
        return ""
    return format_html('<time datetime="{}">{}</time>', date.isoformat(), wareki(date, style))


@register.simple_tag
def period(obj: Any = None, valid_from: Any = None, valid_to: Any = None) -> str:
    """「令和6年4月1日〜令和8年3月31日」; an open end shows 「令和6年4月1日〜」."""
    start = _as_date(getattr(obj, "valid_from", None) if obj is not None else valid_from)
    end = _last_day(_as_date(getattr(obj, "valid_to", None) if obj is not None else valid_to))
    if start is not None and end is not None and end < start:
        return format_html(
            '<span class="kg-muted">{}</span>',
            _("Never in force (cancelled on its first day, %(date)s)") % {"date": wareki(start)},
        )
    return format_html(
        '<span class="kg-period">{}〜{}</span>',
        era(start) if start is not None else "",
        era(end) if end is not None else "",
    )


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs: Any) -> str:
    """``?a=1&page=3`` from the current request's query string with ``kwargs`` replaced
    (a value of ``None`` or ``""`` removes the parameter)."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in kwargs.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def add_class(field, css: str):
    """Render a bound form field's widget with an extra CSS class."""
    attrs = dict(field.field.widget.attrs)
    attrs["class"] = f"{attrs.get('class', '')} {css}".strip()
    return field.as_widget(attrs=attrs)


@register.simple_tag
def municipality_name() -> str:
    """The municipality Kengen serves (``settings.KENGEN_MUNICIPALITY_NAME``)."""
    return str(getattr(settings, "KENGEN_MUNICIPALITY_NAME", ""))
