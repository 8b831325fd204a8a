"""Form pieces shared by every page: the as-of date and date fields that accept era dates."""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kengen.core.bounds import date_problem
from kengen.core.era import parse_wareki, wareki

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


class DateInput(forms.DateInput):
    """A date typed as text in the Japanese era (令和8年4月1日, R8.4.1) or as 2026-04-01, shown
    in the era, with a live preview of how Kengen reads it (``static/kengen/era-date.js``, loaded
    by ``base.html``: the CSP forbids inline scripts). The server parses the same forms
    (:class:`EraDateField`, ``core.era.parse_wareki``); without JavaScript nothing is lost."""

    input_type = "text"

    def __init__(self, attrs=None):
        defaults = {
            "inputmode": "text",
            "autocomplete": "off",
            "placeholder": "令和8年4月1日",
            "data-kg-era-date": "",
            "size": "16",
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format="%Y-%m-%d")

    def format_value(self, value):
        if isinstance(value, str) and _ISO_DAY.fullmatch(value.strip()):
            # A bound form holds the text as sent: links carry ISO dates (?on=2026-12-02, from the
            # home page's figures or a person's page), shown in the era like any other date.
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                day = None
            if day is not None and not date_problem(day):
                value = day
        if isinstance(value, dt.date):
            return wareki(value)
        return super().format_value(value)

    def render(self, name, value, attrs=None, renderer=None):
        from django.utils.html import format_html

        attrs = {**(attrs or {})}
        preview_id = f"{attrs.get('id') or 'id_' + name}-era"
        described = " ".join(filter(None, [attrs.get("aria-describedby", ""), preview_id]))
        attrs["aria-describedby"] = described
        attrs["data-kg-era-preview"] = preview_id
        field = super().render(name, value, attrs, renderer)
        return format_html(
            '{}<span class="kg-era-preview" id="{}" aria-live="polite" data-invalid="{}" data-western="{}"></span>',
            field,
            preview_id,
            _("Not a date Kengen can read. Type e.g. 令和8年4月1日, R8.4.1 or 2026-04-01."),
            _("Gregorian"),
        )


class FastSelect(forms.Select):
    """A ``<select>`` rendered in Python. Django renders every ``<option>`` through a template
    (about 0.3 ms each): a unit filter with a thousand units spent most of a page's time there.
    Same markup (attributes, ``selected``, ``<optgroup>``), built with ``format_html``."""

    def render(self, name, value, attrs=None, renderer=None):
        from django.forms.utils import flatatt
        from django.utils.html import format_html, mark_safe

        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        chosen = {str(v) for v in self.format_value(value)}
        selected = mark_safe(" selected")

        def option(v, label):
            v = "" if v is None else str(v)
            return format_html('<option value="{}"{}>{}</option>', v, selected if v in chosen else "", label)

        parts = [format_html("<select{}>", flatatt(final))]
        for v, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(format_html('<optgroup label="{}">', v))
                parts.extend(option(ov, ol) for ov, ol in label)
                parts.append(mark_safe("</optgroup>"))
            else:
                parts.append(option(v, label))
        parts.append(mark_safe("</select>"))
        return mark_safe("".join(parts))


class EraDateField(forms.DateField):
    """A date typed as 2024-04-01, 令和6年4月1日 or R6.4.1, within what Kengen can show
    (``core.bounds``: from the Meiji era on)."""

    widget = DateInput

    def to_python(self, value):
        if isinstance(value, str) and value.strip():
            try:
                date = super().to_python(value)
            except ValidationError:
                try:
                    date = parse_wareki(value)
                except ValueError:
                    raise ValidationError(
                        _("Enter a date such as 2024-04-01 or 令和6年4月1日."), code="invalid"
                    ) from None
        else:
            date = super().to_python(value)
        if date is not None and (problem := date_problem(date)):
            raise ValidationError(problem, code="out_of_range")
        return date


#: The date field of every form (kept as a name: the personnel and role pages use it).
WarekiDateField = EraDateField


class AsOfForm(forms.Form):
    """``?on=YYYY-MM-DD``: the date a page is looked at (default: today)."""

    on = EraDateField(label=_("As of"), required=False)

    def as_of(self) -> dt.date:
        if self.is_valid() and self.cleaned_data.get("on"):
            return self.cleaned_data["on"]
        return timezone.localdate()


def as_of_date(request, param: str = "on") -> tuple[dt.date, AsOfForm]:
    """The as-of date of a GET request, and the bound form that shows it.

    A date that is not one (``?on=garbage``) or that Kengen cannot show (before the Meiji era) is
    a bad request (400), never a page silently showing another date or a 500."""
    form = AsOfForm({"on": request.GET.get(param, "")} if request.GET.get(param) else None)
    if form.is_bound and not form.is_valid():
        raise BadRequest(" ".join(str(e) for e in form.errors.get("on", [])))
    date = form.as_of()
    if not form.is_bound:
        form = AsOfForm(initial={"on": date})
    return date, form


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def with_date(params, date: dt.date, param: str = "on"):
    """The query parameters, bound, with the as-of date filled in when the request left it out
    (so a filter form shows the date it is using); ``None`` for a request with no parameters."""
    if not params:
        return None
    data = params.copy()
    if not data.get(param):
        data[param] = date.isoformat()
    return data
