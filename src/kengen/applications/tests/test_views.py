"""The Form 1 pages: list, new, detail, submit, register, reject, PDFs; and what the dashboard and
the menu say is waiting (A4, A5.1–A5.4, A5.3, A7, F1)."""

import datetime as dt

import pytest
from django.urls import reverse

from kengen import testing
from kengen.applications.choices import ApplicationStatus
from kengen.applications.models import Application
from kengen.applications.services import LineSpec, application_create, application_submit
from kengen.grants.choices import GrantBasis
from kengen.grants.models import Grant
from kengen.notifications.models import Notification
from kengen.people.choices import EmploymentType
from kengen.systems.choices import SystemKind
from kengen.terminals.services import enrolment_open
from kengen.testing import START, staff

pytestmark = pytest.mark.django_db
FROM = dt.date(2024, 5, 1)


@pytest.fixture
def tax(world):
    return world.core()[1]


def _login(client, world, key):
    """Sign in as a finished sign-in: ``kengen.testing.login`` (A9 acknowledged, second factor
    passed) where it exists, else a plain session."""
    user = world.users[key]
    sign_in = getattr(testing, "login", None)
    if sign_in is not None:
        sign_in(client, user)
    else:
        client.force_login(user)
    return client


def _draft(world, tax, person=None, valid_to=None):
    return application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=tax,
        lines=[
            LineSpec(
                person=person or world.people["jinji_clerk"],
                system=tax,
                permissions=[tax.permissions.get(code="inquiry")],
                valid_from=FROM,
                valid_to=valid_to,
            )
        ],
        reason="窓口業務のため",
    )


def _submitted(world, tax):
    app = _draft(world, tax)
    return application_submit(actor=world.users["shokuin_head"], application=app)


def test_application_pages_require_sign_in(client, world, tax):
    app = _draft(world, tax)
    for url in (
        reverse("applications:list"),
        reverse("applications:new"),
        reverse("applications:blank_pdf"),
        reverse("applications:detail", args=[app.pk]),
        reverse("applications:pdf", args=[app.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("users:login"))
    response = client.post(reverse("applications:action", args=[app.pk, "submit"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("users:login"))
    assert Application.objects.get().status == ApplicationStatus.DRAFT


@pytest.mark.clause("A4")
def test_list_shows_the_officer_their_units_applications_only(client, world, tax):
    app = _draft(world, tax)
    _login(client, world, "shokuin_head")
    response = client.get(reverse("applications:list"))
    assert response.status_code == 200
    assert [a.pk for a in response.context["page_obj"]] == [app.pk]
    assert app.number in response.content.decode()
    _login(client, world, "shiminzei_head")
    assert list(client.get(reverse("applications:list")).context["page_obj"]) == []


@pytest.mark.clause("A5.1")
@pytest.mark.clause("A5.2")
def test_officer_creates_a_draft_from_the_new_application_page(client, world, tax):
    core = tax.parent
    _login(client, world, "shokuin_head")
    page = client.get(reverse("applications:new"), {"system": core.pk})
    body = page.content.decode()
    assert page.status_code == 200
    assert "田中 花子" in body and "伊藤" not in body  # only the officer's own people (A4)
    response = client.post(
        reverse("applications:new"),
        {
            "system": core.pk,
            "organization": world.shokuin.pk,
            "action": "register",
            "people": [world.people["jinji_clerk"].pk],
            "permissions": [tax.permissions.get(code="inquiry").pk, tax.permissions.get(code="update").pk],
            "valid_from": "2024-05-01",
            "purpose": "duties",
            "reason": "窓口業務のため",
        },
    )
    app = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:detail", args=[app.pk])
    assert app.status == ApplicationStatus.DRAFT and app.organization == world.shokuin
    (line,) = app.lines.all()
    assert line.person == world.people["jinji_clerk"] and line.system == tax
    assert {p.code for p in line.permissions.all()} == {"inquiry", "update"}


@pytest.mark.clause("A5.1")
def test_only_a_security_officer_can_start_an_application(client, world, tax):
    _login(client, world, "jinji_clerk")
    response = client.get(reverse("applications:new"), {"system": tax.parent.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:list")


@pytest.mark.clause("A4")
def test_new_application_for_another_organizations_person_is_refused(client, world, tax):
    _login(client, world, "shokuin_head")
    response = client.post(
        reverse("applications:new"),
        {
            "system": tax.parent.pk,
            "organization": world.shokuin.pk,
            "action": "register",
            "people": [world.people["kazei_clerk"].pk],
            "permissions": [tax.permissions.get(code="inquiry").pk],
            "valid_from": "2024-05-01",
            "purpose": "duties",
        },
    )
    assert response.status_code == 200  # not one of the choices the officer is offered
    assert "people" in response.context["form"].errors
    assert not Application.objects.exists()


@pytest.mark.clause("A4")
def test_detail_and_pdf_are_404_for_another_organization(client, world, tax):
    app = _draft(world, tax)
    _login(client, world, "shiminzei_head")
    assert client.get(reverse("applications:detail", args=[app.pk])).status_code == 404
    assert client.get(reverse("applications:pdf", args=[app.pk])).status_code == 404
    assert client.post(reverse("applications:action", args=[app.pk, "submit"])).status_code == 404
    assert Application.objects.get().status == ApplicationStatus.DRAFT


@pytest.mark.clause("A5.2")
@pytest.mark.clause("A5.4")
def test_officer_submits_and_the_administrator_registers_from_the_detail_page(client, world, tax):
    app = _draft(world, tax)
    _login(client, world, "shokuin_head")
    detail = client.get(reverse("applications:detail", args=[app.pk]))
    assert detail.status_code == 200
    assert reverse("applications:action", args=[app.pk, "submit"]) in detail.content.decode()
    response = client.post(reverse("applications:action", args=[app.pk, "submit"]))
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED
    # The officer cannot register their own application.
    assert client.post(reverse("applications:action", args=[app.pk, "register"])).status_code == 404
    _login(client, world, "joho_head")
    detail = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert f'name="user_id_{app.lines.get().pk}"' in detail
    response = client.post(
        reverse("applications:action", args=[app.pk, "register"]),
        {f"user_id_{app.lines.get().pk}": "tanaka01"},
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REGISTERED
    grant = Grant.objects.get(basis=GrantBasis.APPLICATION)
    assert grant.account.user_id == "tanaka01" and grant.basis_reference == app.number
    assert Notification.objects.filter(recipient=world.people["shokuin_head"], clause="A5.4").exists()


@pytest.mark.clause("A5.4")
def test_administrator_rejects_with_a_reason(client, world, tax):
    app = _submitted(world, tax)
    _login(client, world, "joho_head")
    response = client.post(reverse("applications:action", args=[app.pk, "reject"]), {"reason": "権限が過大"})
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REJECTED and app.rejection_reason == "権限が過大"
    assert not Grant.objects.exists()


def test_registering_twice_is_a_conflict_shown_as_a_message(client, world, tax):
    app = _submitted(world, tax)
    _login(client, world, "joho_head")
    client.post(reverse("applications:action", args=[app.pk, "register"]))
    response = client.post(
        reverse("applications:action", args=[app.pk, "register"]),
        follow=True,
        HTTP_REFERER=reverse("applications:detail", args=[app.pk]),
    )
    assert response.status_code == 200
    assert any(app.number in str(m) for m in response.context["messages"])
    assert Grant.objects.count() == 1


@pytest.mark.clause("A5.3")
def test_submitting_for_a_fiscal_year_appointee_without_network_registration_shows_the_clause(
    client, world, tax
):
    fy = staff(
        world.jinji,
        employment_type=EmploymentType.FY_PART_TIME,
        valid_from=START,
        appointment_to=dt.date(2025, 4, 1),
    )
    app = _draft(world, tax, person=fy, valid_to=dt.date(2025, 4, 1))
    _login(client, world, "shokuin_head")
    detail_url = reverse("applications:detail", args=[app.pk])
    assert (
        reverse("applications:network_registration", args=[fy.pk]) in client.get(detail_url).content.decode()
    )
    response = client.post(
        reverse("applications:action", args=[app.pk, "submit"]), follow=True, HTTP_REFERER=detail_url
    )
    assert "[A5.3]" in response.content.decode()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT
    # Recording the registration lets it through.
    recorded = client.post(
        reverse("applications:network_registration", args=[fy.pk]),
        {"filed_on": "2024-04-01", "reference": "NW-2024-001"},
    )
    assert recorded.status_code == 302
    client.post(reverse("applications:action", args=[app.pk, "submit"]))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED


@pytest.mark.clause("A7")
def test_submitting_past_the_appointment_end_shows_the_clause(client, world, tax):
    fixed = staff(
        world.jinji,
        employment_type=EmploymentType.OTHER_FIXED_TERM,
        valid_from=START,
        appointment_to=dt.date(2025, 4, 1),
    )
    app = _draft(world, tax, person=fixed, valid_to=dt.date(2025, 6, 1))  # beyond the appointment
    _login(client, world, "shokuin_head")
    response = client.post(
        reverse("applications:action", args=[app.pk, "submit"]),
        follow=True,
        HTTP_REFERER=reverse("applications:detail", args=[app.pk]),
    )
    assert "[A7]" in response.content.decode()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.DRAFT


@pytest.mark.clause("F1")
def test_form1_pdf_and_blank_form_download(client, world, tax):
    app = _draft(world, tax)
    _login(client, world, "shokuin_head")
    pdf = client.get(reverse("applications:pdf", args=[app.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert app.number in pdf["Content-Disposition"]
    blank = client.get(reverse("applications:blank_pdf"))
    assert blank.status_code == 200 and blank.content.startswith(b"%PDF")


@pytest.mark.clause("A5.3")
def test_person_page_shows_the_network_registration_status_and_the_officers_link(client, world, tax):
    fy = staff(
        world.jinji,
        employment_type=EmploymentType.FY_FULL_TIME,
        valid_from=dt.date(2026, 4, 1),
        appointment_to=dt.date(2027, 4, 1),
    )
    link = reverse("applications:network_registration", args=[fy.pk])
    _login(client, world, "shokuin_head")
    body = client.get(reverse("people:detail", args=[fy.pk])).content.decode()
    assert link in body
    _login(client, world, "joho_head")  # sees everyone as core administrator, but is not the officer
    body = client.get(reverse("people:detail", args=[fy.pk])).content.decode()
    assert link not in body
    _login(client, world, "shokuin_head")
    client.post(link, {"filed_on": "2026-04-01", "reference": "NW-2026-7"})
    assert "NW-2026-7" in client.get(reverse("people:detail", args=[fy.pk])).content.decode()


# --- What is waiting: dashboard and menu --------------------------------------------------------


def test_dashboard_counts_applications_waiting_for_the_administrator_and_the_officers_drafts(
    client, world, tax
):
    _submitted(world, tax)
    _draft(world, tax)
    _login(client, world, "joho_head")
    counts = client.get(reverse("dashboard:home")).context["counts"]
    assert counts["applications_to_register"] == 1
    _login(client, world, "shokuin_head")
    counts = client.get(reverse("dashboard:home")).context["counts"]
    assert counts["my_drafts"] == 1
    assert counts["applications_to_register"] is None  # administers nothing
    _login(client, world, "shiminzei_head")
    counts = client.get(reverse("dashboard:home")).context["counts"]
    assert counts["my_drafts"] == 0


@pytest.mark.clause("A6.4")
def test_dashboard_counts_pending_enrolments_by_role(client, world):
    world.system(
        "2FA",
        "二要素認証システム",
        SystemKind.TWO_FACTOR,
        owner=world.joho,
        permissions=(("terminal", "端末使用"),),
    )
    enrolment_open(actor=None, person=world.people["jinji_clerk"])
    enrolment_open(actor=None, person=world.people["kazei_clerk"])
    _login(client, world, "joho_head")  # the two-factor administrator
    assert client.get(reverse("dashboard:home")).context["counts"]["pending_enrolments"] == 2
    _login(client, world, "shokuin_head")  # their people only
    assert client.get(reverse("dashboard:home")).context["counts"]["pending_enrolments"] == 1
    _login(client, world, "jinji_clerk")
    response = client.get(reverse("dashboard:home"))
    assert response.context["counts"]["my_pending_enrolment"] == 1
    assert reverse("terminals:list") in response.content.decode()


def test_menu_shows_the_unread_count_and_the_maintenance_link_for_administrators(client, world, tax):
    app = _submitted(world, tax)
    _login(client, world, "joho_head")
    client.post(reverse("applications:action", args=[app.pk, "register"]))
    _login(client, world, "shokuin_head")  # notified of the registration (A5.4)
    body = client.get(reverse("dashboard:home")).content.decode()
    assert (
        Notification.objects.filter(recipient=world.people["shokuin_head"], read_at__isnull=True).count() == 1
    )
    assert 'kg-badge kg-badge--error">1<' in body
    assert reverse("terminals:list") in body
    assert reverse("grants:maintenance") not in body  # administers no system
    _login(client, world, "joho_head")
    assert reverse("grants:maintenance") in client.get(reverse("dashboard:home")).content.decode()
