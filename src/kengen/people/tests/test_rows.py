"""The people list's rows, rendered in Python (issue 10): every value escaped, the badges and the
placeholders as the template drew them."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.people.choices import EmploymentType
from kengen.testing import login, staff

pytestmark = pytest.mark.django_db


def test_rows_escape_names_and_show_the_fiscal_year_badge(world, client):
    person = staff(
        world.jinji,
        family="<b>悪",
        given="&名",
        employment_type=EmploymentType.FY_FULL_TIME,
        valid_from=timezone.localdate(),
    )
    login(client, world.users["shokuin_head"])
    body = client.get(reverse("people:list")).content.decode()
    assert "<b>悪" not in body
    assert "&lt;b&gt;悪 &amp;名" in body
    assert f'href="{reverse("people:detail", args=[person.pk])}"' in body
    assert '<span class="kg-badge kg-badge--warning">' in body


def test_rows_say_when_nobody_matches(world, client):
    login(client, world.users["shokuin_head"])
    body = client.get(reverse("people:list"), {"q": "存在しない名前"}).content.decode()
    assert _("Nobody matches.") in body
