"""The UI's boundary (issue 10): an as-of date or a form date Kengen cannot show is refused with a
4xx and a message, never a 500, and never stored."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kengen.core.forms import EraDateField
from kengen.testing import login

pytestmark = pytest.mark.django_db


def _pages(world):
    return [
        reverse("grants:file"),
        reverse("people:list"),
        reverse("people:detail", args=[world.people["jinji_clerk"].pk]),
        reverse("organizations:tree"),
        reverse("organizations:detail", args=[world.shokuin.pk]),
        reverse("systems:list"),
        reverse("roles:list"),
        reverse("eligibility:table"),
        reverse("acknowledgements:list"),
    ]


@pytest.mark.parametrize("on", ["1800-01-01", "0001-01-01", "1868-01-24", "not-a-date", "3000-01-01"])
def test_as_of_dates_kengen_cannot_show_are_a_400_with_the_reason(world, client, on):
    world.core()
    login(client, world.users["joho_head"])
    for url in _pages(world):
        response = client.get(url, {"on": on})
        assert response.status_code == 400, (url, response.status_code)


def test_the_first_day_of_meiji_is_accepted(world, client):
    login(client, world.users["joho_head"])
    assert client.get(reverse("organizations:tree"), {"on": "1868-01-25"}).status_code == 200


def test_the_400_page_says_why(world, client):
    login(client, world.users["joho_head"])
    body = client.get(reverse("organizations:tree"), {"on": "1800-01-01"}).content.decode()
    assert "1868-01-25" in body


def test_form_date_fields_refuse_dates_before_meiji():
    field = EraDateField()
    with pytest.raises(ValidationError, match=r"1868-01-25"):
        field.clean("1867-12-31")
    assert str(field.clean("明治元年1月25日")) == "1868-01-25"


def _submitted_application(world):
    import datetime as dt

    from kengen.applications.services import LineSpec, application_create, application_submit
    from kengen.systems.models import System, SystemPermission

    world.core()
    officer = world.users["shokuin_head"]
    tax = System.objects.get(code="CK-TAX")
    app = application_create(
        actor=officer,
        organization=world.shokuin,
        system=System.objects.get(code="COKAS"),
        lines=[
            LineSpec(
                person=world.people["jinji_clerk"],
                system=tax,
                permissions=list(SystemPermission.objects.filter(system=tax, code="inquiry")),
                action="register",
                valid_from=dt.date(2024, 5, 1),
            )
        ],
        reason="異動",
    )
    application_submit(actor=officer, application=app)
    return app


@pytest.mark.parametrize("data", [{"user_id_x": "a"}, {"user_id_99999999999999999999999": "a"}, {}])
def test_the_auditor_posting_to_register_gets_a_4xx_and_nothing_changes(world, client, data):
    from kengen.roles.services import role_designate
    from kengen.testing import START

    app = _submitted_application(world)
    auditor = world.users["kazei_clerk"]
    role_designate(actor=None, user=auditor, role="auditor", valid_from=START)
    login(client, auditor)
    response = client.post(reverse("applications:action", args=[app.pk, "register"]), data)
    assert response.status_code in (400, 404)
    app.refresh_from_db()
    assert app.status == "submitted"


def test_a_rejection_reason_with_a_nul_is_a_400(world, client):
    app = _submitted_application(world)
    login(client, world.users["joho_head"])
    response = client.post(reverse("applications:action", args=[app.pk, "reject"]), {"reason": "a\x00b"})
    assert response.status_code == 400
    app.refresh_from_db()
    assert app.status == "submitted"
