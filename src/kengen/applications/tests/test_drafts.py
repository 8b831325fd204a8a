"""Editable Form 1 drafts (issue 11): every rule submission applies is shown line by line while the
draft is written, drafts are edited, rejected ones copied; the same through the API."""

import datetime as dt

import pytest
from django.urls import reverse

from kengen.applications.choices import ApplicationStatus, LineAction
from kengen.applications.models import Application
from kengen.applications.services import (
    LineSpec,
    application_copy,
    application_create,
    application_line_problems,
    application_register,
    application_reject,
    application_submit,
    application_update,
    network_registration_record,
)
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, NotFound, RuleViolation
from kengen.people.choices import EmploymentType
from kengen.testing import START, staff
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db
FROM = dt.date(2024, 5, 1)
APPOINTMENT_END = dt.date(2025, 4, 1)  # exclusive: the last day is 令和7年3月31日


@pytest.fixture
def tax(world):
    return world.core()[1]


def _spec(tax, person, code="inquiry", **kwargs):
    return LineSpec(
        person=person, system=tax, permissions=[tax.permissions.get(code=code)], valid_from=FROM, **kwargs
    )


def _draft(world, tax, people, **kwargs):
    return application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=tax,
        lines=[_spec(tax, p) for p in people],
        reason="窓口業務のため",
        **kwargs,
    )


def _fiscal_year(world):
    return staff(
        world.jinji,
        employment_type=EmploymentType.FY_FULL_TIME,
        valid_from=START,
        appointment_to=APPOINTMENT_END,
    )


@pytest.mark.clause("A7")
def test_fixed_term_appointee_line_ends_with_the_appointment_when_no_end_is_given(world, tax):
    fy = _fiscal_year(world)
    app = _draft(world, tax, [fy, world.people["jinji_clerk"]])
    ends = {li.person_id: li.valid_to for li in app.lines.all()}
    assert ends[fy.pk] == APPOINTMENT_END
    assert ends[world.people["jinji_clerk"].pk] is None


@pytest.mark.clause("A5.3")
@pytest.mark.clause("A7")
def test_each_rule_of_submission_is_reported_beside_its_line_when_the_draft_is_saved(world, tax):
    fy = _fiscal_year(world)
    clerk = world.people["jinji_clerk"]
    app = application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=tax,
        lines=[_spec(tax, fy, valid_to=dt.date(2025, 6, 1)), _spec(tax, clerk)],
    )
    assert app.status == ApplicationStatus.DRAFT  # saved: a draft may still be wrong
    problems = application_line_problems(app)
    fy_line = app.lines.get(person=fy)
    assert sorted(p.clause for p in problems[fy_line.pk]) == ["A5.3", "A7"]
    assert app.lines.get(person=clerk).pk not in problems
    # Submission refuses with the same rule the draft showed first.
    with pytest.raises(RuleViolation) as exc:
        application_submit(actor=world.users["shokuin_head"], application=app)
    assert exc.value.clause == "A5.3"


@pytest.mark.clause("A5.4")
def test_a_permission_already_held_is_found_on_the_draft_not_at_registration(world, tax):
    clerk = world.people["jinji_clerk"]
    first = _draft(world, tax, [clerk])
    application_submit(actor=world.users["shokuin_head"], application=first)
    application_register(actor=world.users["joho_head"], application=first)

    again = _draft(world, tax, [clerk])
    (problems,) = application_line_problems(again).values()
    assert "already holds" in problems[0].message or "既に" in problems[0].message
    with pytest.raises(Conflict):
        application_submit(actor=world.users["shokuin_head"], application=again)
    again.refresh_from_db()
    assert again.status == ApplicationStatus.DRAFT


@pytest.mark.clause("A5.1")
def test_cancelling_a_permission_nobody_holds_is_reported_on_the_draft(world, tax):
    app = application_create(
        actor=world.users["shokuin_head"],
        organization=world.shokuin,
        system=tax,
        lines=[_spec(tax, world.people["jinji_clerk"], action=LineAction.CANCEL)],
    )
    (problems,) = application_line_problems(app).values()
    assert problems[0].clause == "A5.1"


@pytest.mark.clause("A5.2")
def test_draft_is_edited_and_the_old_lines_stay_in_the_audit_log(world, tax):
    fy = _fiscal_year(world)
    app = _draft(world, tax, [fy])
    assert application_line_problems(app)  # A5.3 missing
    network_registration_record(
        actor=world.users["shokuin_head"], person=fy, filed_on=START, reference="NW-1"
    )
    clerk = world.people["jinji_clerk"]
    app = application_update(
        actor=world.users["shokuin_head"],
        application=app,
        lines=[_spec(tax, fy, code="update"), _spec(tax, clerk)],
        reason="担当替え",
    )
    assert application_line_problems(app) == {}
    assert {li.person_id for li in app.lines.all()} == {fy.pk, clerk.pk}
    assert app.reason == "担当替え"
    event = AuditEvent.objects.get(action="application.updated", application_ref=app.number)
    assert len(event.old["lines"]) == 1 and len(event.new["lines"]) == 2
    application_submit(actor=world.users["shokuin_head"], application=app)
    with pytest.raises(Conflict):  # only a draft is edited
        application_update(actor=world.users["shokuin_head"], application=app, lines=[_spec(tax, clerk)])


@pytest.mark.clause("A4")
def test_another_units_officer_cannot_edit_the_draft(world, tax):
    app = _draft(world, tax, [world.people["jinji_clerk"]])
    with pytest.raises(NotFound):
        application_update(
            actor=world.users["shiminzei_head"],
            application=app,
            lines=[_spec(tax, world.people["jinji_clerk"])],
        )


@pytest.mark.clause("A5.4")
def test_rejected_application_is_copied_to_a_new_draft(world, tax):
    app = _draft(world, tax, [world.people["jinji_clerk"]])
    with pytest.raises(Conflict):  # a draft is edited, not copied
        application_copy(actor=world.users["shokuin_head"], application=app)
    application_submit(actor=world.users["shokuin_head"], application=app)
    application_reject(actor=world.users["joho_head"], application=app, reason="期間を確認してください")
    copy = application_copy(actor=world.users["shokuin_head"], application=app)
    assert copy.status == ApplicationStatus.DRAFT and copy.number != app.number
    assert [(li.person_id, li.valid_from) for li in copy.lines.all()] == [
        (li.person_id, li.valid_from) for li in app.lines.all()
    ]
    created = AuditEvent.objects.get(action="application.created", application_ref=copy.number)
    assert created.new["copied_from"] == app.number
    with pytest.raises(NotFound):
        application_copy(actor=world.users["shiminzei_head"], application=app)


# --- pages ---------------------------------------------------------------------------------------


def _login(client, world, key):
    from kengen import testing

    testing.login(client, world.users[key])
    return client


@pytest.mark.clause("A5.3")
def test_draft_page_shows_problems_beside_the_line_and_the_edit_page_saves(client, world, tax):
    fy = _fiscal_year(world)
    app = _draft(world, tax, [fy])
    _login(client, world, "shokuin_head")
    page = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert f'id="line-{app.lines.get().pk}-problems"' in page
    assert "[A5.3]" in page
    assert reverse("applications:edit", args=[app.pk]) in page
    # Recording the registration from the application's page comes back to it.
    back = reverse("applications:detail", args=[app.pk])
    recorded = client.post(
        reverse("applications:network_registration", args=[fy.pk]) + f"?next={back}",
        {"filed_on": "2024-04-01", "reference": "NW-2024-001", "next": back},
    )
    assert recorded.status_code == 302 and recorded["Location"] == back
    edit = client.get(reverse("applications:edit", args=[app.pk]))
    assert edit.status_code == 200 and "novalidate" in edit.content.decode()
    saved = client.post(
        reverse("applications:edit", args=[app.pk]),
        {
            "organization": world.shokuin.pk,
            "action": "register",
            "people": [fy.pk, world.people["jinji_clerk"].pk],
            "permissions": [tax.permissions.get(code="inquiry").pk],
            "valid_from": "2024-05-01",
            "last_day": "",
            "purpose": "duties",
            "reason": "編集後",
        },
    )
    assert saved.status_code == 302
    app.refresh_from_db()
    assert app.reason == "編集後" and app.lines.count() == 2
    assert app.lines.get(person=fy).valid_to == APPOINTMENT_END


def test_other_officer_gets_404_on_the_edit_page(client, world, tax):
    app = _draft(world, tax, [world.people["jinji_clerk"]])
    _login(client, world, "shiminzei_head")
    assert client.get(reverse("applications:edit", args=[app.pk])).status_code == 404


def test_copy_button_makes_a_new_draft(client, world, tax):
    app = _draft(world, tax, [world.people["jinji_clerk"]])
    application_submit(actor=world.users["shokuin_head"], application=app)
    application_reject(actor=world.users["joho_head"], application=app, reason="差戻し")
    _login(client, world, "shokuin_head")
    assert (
        reverse("applications:copy", args=[app.pk])
        in client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    )
    response = client.post(reverse("applications:copy", args=[app.pk]))
    copy = Application.objects.exclude(pk=app.pk).get()
    assert response["Location"] == reverse("applications:edit", args=[copy.pk])


# --- API -----------------------------------------------------------------------------------------


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


@pytest.mark.clause("A5.3")
def test_api_patch_edits_a_draft_and_returns_the_problems_per_line(client, world, tax):
    fy = _fiscal_year(world)
    app = _draft(world, tax, [world.people["jinji_clerk"]])
    officer = _auth(world.users["shokuin_head"])
    body = {
        "lines": [
            {"person_id": fy.pk, "system": "CK-TAX", "permissions": ["inquiry"], "valid_from": "2024-05-01"}
        ]
    }
    response = client.patch(
        f"/api/v1/applications/{app.pk}", body, content_type="application/json", **officer
    )
    assert response.status_code == 200, response.content
    (line,) = response.json()["lines"]
    assert line["person_id"] == fy.pk
    assert [p["clause"] for p in line["problems"]] == ["A5.3"]
    other = _auth(world.users["shiminzei_head"])
    assert (
        client.patch(
            f"/api/v1/applications/{app.pk}", body, content_type="application/json", **other
        ).status_code
        == 404
    )


def test_api_copies_a_rejected_application(client, world, tax):
    app = _draft(world, tax, [world.people["jinji_clerk"]])
    application_submit(actor=world.users["shokuin_head"], application=app)
    application_reject(actor=world.users["joho_head"], application=app, reason="差戻し")
    response = client.post(f"/api/v1/applications/{app.pk}/copy", **_auth(world.users["shokuin_head"]))
    assert response.status_code == 201
    assert response.json()["status"] == "draft"
