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


def test_date_fields_are_text_in_the_era_with_a_preview_beside_them():
    import datetime as dt

    from kengen.core.forms import AsOfForm

    html = str(AsOfForm(initial={"on": dt.date(2026, 4, 1)})["on"])
    assert 'type="text"' in html and 'type="date"' not in html
    assert 'value="令和8年4月1日"' in html
    assert "data-kg-era-date" in html
    assert (
        'aria-describedby="id_on-era"' in html and 'id="id_on-era"' in html and 'aria-live="polite"' in html
    )


def test_era_text_typed_into_a_date_field_is_read_as_the_server_reads_it():
    import datetime as dt

    from kengen.core.forms import AsOfForm

    for typed in ("令和8年4月1日", "R8.4.1", "r8-4-1", "Ｒ８．４．１", "2026-04-01"):
        form = AsOfForm({"on": typed})
        assert form.is_valid(), typed
        assert form.cleaned_data["on"] == dt.date(2026, 4, 1)
    assert not AsOfForm({"on": "平成32年1月1日"}).is_valid()  # outside the era


def test_a_date_sent_as_iso_text_is_shown_in_the_era_and_other_text_as_typed():
    from kengen.core.forms import AsOfForm

    assert 'value="令和8年12月2日"' in str(AsOfForm({"on": "2026-12-02"})["on"])  # a link's ?on=
    assert 'value="R8.12.2"' in str(AsOfForm({"on": "R8.12.2"})["on"])
    for kept in ("2026-02-30", "1800-01-01", "garbage"):  # refused: the field shows what was sent
        assert f'value="{kept}"' in str(AsOfForm({"on": kept})["on"])
