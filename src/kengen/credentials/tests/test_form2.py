"""別記様式2 (A8.1, F2): password applications for systems that hold their own passwords."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from kengen.audit.models import AuditEvent
from kengen.core.era import wareki
from kengen.core.exceptions import Conflict, NotFound, RuleViolation
from kengen.credentials.choices import ApplicantKind, CredentialEventKind, PasswordApplicationStatus
from kengen.credentials.models import Credential, CredentialEvent
from kengen.credentials.pdf import NO_PASSWORD_NOTE, TITLE, render_form2
from kengen.credentials.services import (
    password_application_complete,
    password_application_create,
    password_application_reject,
    password_application_submit,
    password_application_withdraw,
)
from kengen.credentials.tests.helpers import hold_in_kengen
from kengen.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.clause("A8.1")
def test_a_user_applies_for_their_own_password_and_the_administrator_completes_it(hr):
    app = password_application_create(
        actor=hr.users["jinji_clerk"], account=hr.account, reason="定期変更のため"
    )
    assert app.applicant_kind == ApplicantKind.SELF and app.applicant == hr.people["jinji_clerk"]
    assert app.number.startswith("P") and app.status == PasswordApplicationStatus.DRAFT
    password_application_submit(actor=hr.users["jinji_clerk"], application=app)
    assert Notification.objects.filter(clause="A8.1", recipient=hr.people["joho_head"]).exists()
    with pytest.raises(NotFound):  # only the system's administrator completes it
        password_application_complete(actor=hr.users["shokuin_head"], application=app)
    password_application_complete(actor=hr.users["joho_head"], application=app)
    app.refresh_from_db()
    assert app.status == PasswordApplicationStatus.COMPLETED and app.decided_by == hr.people["joho_head"]
    event = CredentialEvent.objects.get(account=hr.account, kind=CredentialEventKind.CHANGED)
    assert event.reference == app.number
    cred = Credential.objects.get(account=hr.account)
    assert cred.verifier == "" and cred.expires_at - cred.changed_at == dt.timedelta(days=90)  # A8.7 deadline
    assert AuditEvent.objects.filter(
        action="password_application.completed", application_ref=app.number
    ).exists()
    assert Notification.objects.filter(clause="A8.1", recipient=hr.people["jinji_clerk"]).exists()


@pytest.mark.clause("A8.1")
def test_a_fiscal_year_appointee_cannot_apply_for_themselves(hr):
    with pytest.raises(RuleViolation) as exc:
        password_application_create(actor=hr.users["appointee"], account=hr.appointee_account)
    assert exc.value.clause == "A8.1" and "security officer" in exc.value.message


@pytest.mark.clause("A8.1")
def test_the_security_officer_applies_for_a_fiscal_year_appointee(hr):
    app = password_application_create(actor=hr.users["shokuin_head"], account=hr.appointee_account)
    assert app.applicant_kind == ApplicantKind.OFFICER and app.applicant == hr.people["shokuin_head"]
    password_application_submit(actor=hr.users["shokuin_head"], application=app)
    with pytest.raises(NotFound):  # the appointee cannot act on the officer's application
        password_application_withdraw(actor=hr.users["appointee"], application=app)


@pytest.mark.clause("A8.1")
def test_the_officer_does_not_apply_for_regular_staff(hr):
    with pytest.raises(RuleViolation) as exc:
        password_application_create(actor=hr.users["shokuin_head"], account=hr.account)
    assert exc.value.clause == "A8.1"


@pytest.mark.clause("A4")
def test_another_organizations_officer_gets_not_found(hr):
    with pytest.raises(NotFound):
        password_application_create(actor=hr.users["shiminzei_head"], account=hr.appointee_account)


@pytest.mark.clause("A8.1")
def test_form2_changes_are_for_systems_that_hold_their_own_passwords(hr):
    hold_in_kengen(hr, hr.hr)
    with pytest.raises(RuleViolation) as exc:
        password_application_create(actor=hr.users["jinji_clerk"], account=hr.account)
    assert exc.value.clause == "A8.1" and "My passwords" in exc.value.message


@pytest.mark.clause("A8.1")
@pytest.mark.clause("A8.3")
def test_form2_registration_on_a_kengen_held_system_issues_a_first_temporary_password(hr):
    """An individual system whose passwords Kengen holds: its administrator completes a Form 2
    registration by issuing a temporary password, revealed once to the security officer."""
    from kengen.credentials.choices import PasswordApplicationKind
    from kengen.credentials.models import RevealLink

    hold_in_kengen(hr, hr.hr)
    app = password_application_create(
        actor=hr.users["jinji_clerk"], account=hr.account, kind=PasswordApplicationKind.REGISTER
    )
    password_application_submit(actor=hr.users["jinji_clerk"], application=app)
    password_application_complete(actor=hr.users["joho_head"], application=app)
    cred = Credential.objects.get(account=hr.account)
    assert cred.is_temporary and cred.temporary_expires_at is not None
    link = RevealLink.objects.get(credential=cred)
    assert link.recipient == hr.people["shokuin_head"]
    assert Notification.objects.filter(recipient=hr.people["shokuin_head"], clause="A8.3").exists()


def test_rejection_needs_a_reason_and_states_are_enforced(hr):
    app = password_application_create(actor=hr.users["jinji_clerk"], account=hr.account)
    with pytest.raises(NotFound):  # a draft is not the administrator's yet
        password_application_reject(actor=hr.users["joho_head"], application=app, reason="x")
    password_application_submit(actor=hr.users["jinji_clerk"], application=app)
    with pytest.raises(Conflict):
        password_application_submit(actor=hr.users["jinji_clerk"], application=app)
    with pytest.raises(RuleViolation):
        password_application_reject(actor=hr.users["joho_head"], application=app, reason=" ")
    password_application_reject(actor=hr.users["joho_head"], application=app, reason="ユーザIDが異なる")
    app.refresh_from_db()
    assert app.status == PasswordApplicationStatus.REJECTED
    with pytest.raises(Conflict):
        password_application_withdraw(actor=hr.users["jinji_clerk"], application=app)


@pytest.mark.clause("F2")
def test_form2_pdf_is_the_japanese_form_with_era_dates_and_no_password_field(hr):
    app = password_application_create(
        actor=hr.users["shokuin_head"], account=hr.appointee_account, reason="仮パスワードの変更"
    )
    password_application_submit(actor=hr.users["shokuin_head"], application=app)
    password_application_complete(actor=hr.users["joho_head"], application=app)
    app.refresh_from_db()
    data = render_form2(app)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4
    text = _pdf_text(data)
    assert TITLE in text and "別記様式2" in text and app.number in text
    assert "HR002" in text and "佐々木 京子" in text and "人事給与システム" in text
    assert "第8条第1項ただし書" in text  # the officer applies for a fiscal-year appointee
    assert wareki(app.submitted_at.date()) in text or "令和" in text
    assert "登録・変更済" in text
    assert NO_PASSWORD_NOTE[:10] in text
    blank = _pdf_text(render_form2(None))
    assert TITLE in blank and "別記様式2" in blank
