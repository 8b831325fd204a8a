import re

from django import forms

from kengen.core.forms import FastSelect

CHOICES = [("", "All units"), ("1", "総務部"), ("2", "\u3000職員課 <&>"), ("Group", [("3", "a"), ("4", "b")])]


def _options(html: str) -> list[tuple[str, bool, str]]:
    return [
        (value, bool(selected), label)
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html
        )
    ]


def test_fast_select_renders_what_djangos_select_renders():
    for value in ("", "2", "4", None):
        attrs = {"id": "id_unit", "class": "kg-select", "aria-describedby": "help"}
        django_html = forms.Select(choices=CHOICES).render("unit", value, attrs=attrs)
        fast_html = FastSelect(choices=CHOICES).render("unit", value, attrs=attrs)

        assert _options(fast_html) == _options(django_html)
        tag = re.match(r"<select([^>]*)>", fast_html).group(1)
        assert sorted(re.findall(r'(\S+)="', tag)) == sorted(
            re.findall(r'(\S+)="', re.match(r"<select([^>]*)>", django_html).group(1))
        )
        assert '<optgroup label="Group">' in fast_html
        assert "&lt;&amp;&gt;" in fast_html
