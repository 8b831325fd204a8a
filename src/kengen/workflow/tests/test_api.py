"""The workflow's JSON API endpoints (``kengen.workflow.api.workflow_endpoints``), called through
both forms' routers: the same transitions, refusals and scope for each, and the forms' own names
in the OpenAPI schema."""

from __future__ import annotations

import pytest

from kengen.api import api
from kengen.users.services import api_token_create
from kengen.workflow.tests.test_workflow import Form, _form1, _form2

pytestmark = pytest.mark.django_db

#: Each form's mount point and positive decision.
FORMS = {
    "form1": ("/api/v1/applications", "register"),
    "form2": ("/api/v1/password-applications", "complete"),
}


def _auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='test').raw}"}


@pytest.fixture(params=list(FORMS))
def form(request, world) -> tuple[Form, str, str]:
    base, decide = FORMS[request.param]
    return {"form1": _form1, "form2": _form2}[request.param](world), base, decide


def test_an_application_is_submitted_withdrawn_and_decided_through_the_api(form, client):
    form, base, decide = form
    applicant, decider = _auth(form.applicant), _auth(form.decider)
    app = form.draft()
    r = client.get(f"{base}/{app.pk}", **applicant)
    assert r.status_code == 200 and r.json()["number"] == app.number and r.json()["status"] == "draft"
    assert client.post(f"{base}/{app.pk}/submit", **applicant).json()["status"] == "submitted"
    assert client.post(f"{base}/{app.pk}/withdraw", **applicant).json()["status"] == "withdrawn"
    assert client.post(f"{base}/{app.pk}/submit", **applicant).status_code == 409

    app = form.draft()
    client.post(f"{base}/{app.pk}/submit", **applicant)
    r = client.post(f"{base}/{app.pk}/{decide}", {}, content_type="application/json", **decider)
    assert r.status_code == 200, r.content
    assert r.json()["status"] == type(app).decided_status and r.json()["decided_at"]


def test_a_rejection_through_the_api_needs_a_reason(form, client):
    form, base, _decide = form
    app = form.draft()
    client.post(f"{base}/{app.pk}/submit", **_auth(form.applicant))
    decider = _auth(form.decider)
    blank = client.post(
        f"{base}/{app.pk}/reject", {"reason": " "}, content_type="application/json", **decider
    )
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    missing = client.post(f"{base}/{app.pk}/reject", {}, content_type="application/json", **decider)
    assert missing.status_code == 422
    r = client.post(
        f"{base}/{app.pk}/reject", {"reason": "記載不備"}, content_type="application/json", **decider
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "rejected" and r.json()["rejection_reason"] == "記載不備"


def test_each_side_reaches_only_its_own_steps_through_the_api(form, client, world):
    form, base, decide = form
    app = form.draft()
    outsider = _auth(world.users["shiminzei_head"])  # another unit's security officer
    for path in ("submit", "withdraw", decide, "reject"):
        assert (
            client.post(
                f"{base}/{app.pk}/{path}", {"reason": "x"}, content_type="application/json", **outsider
            ).status_code
            == 404
        )
    assert client.get(f"{base}/{app.pk}", **outsider).status_code == 404
    decider = _auth(form.decider)
    assert client.post(f"{base}/{app.pk}/submit", **decider).status_code == 404  # a draft is not theirs
    client.post(f"{base}/{app.pk}/submit", **_auth(form.applicant))
    r = client.post(f"{base}/{app.pk}/{decide}", {}, content_type="application/json", **_auth(form.applicant))
    assert r.status_code == 404
    app.refresh_from_db()
    assert app.status == "submitted"


def test_the_forms_keep_their_own_operation_names():
    operations = {
        (path, method): (op["operationId"], op["summary"])
        for path, item in api.get_openapi_schema(path_prefix="")["paths"].items()
        for method, op in item.items()
    }
    assert operations[("/applications/{app_id}/submit", "post")] == (
        "kengen_applications_api_submit",
        "Submit",
    )
    assert operations[("/applications/{app_id}/register", "post")] == (
        "kengen_applications_api_register",
        "Register in the management file (A5.4)",
    )
    assert operations[("/applications/{app_id}", "get")] == (
        "kengen_applications_api_get_application",
        "Get Application",
    )
    assert operations[("/password-applications/{app_id}/reject", "post")] == (
        "kengen_credentials_api_reject_form2",
        "Reject Form2",
    )
    assert operations[("/password-applications/{app_id}/complete", "post")] == (
        "kengen_credentials_api_complete_form2",
        "Record completion (the administrator)",
    )
