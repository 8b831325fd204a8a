"""A8.5: no password — temporary, changed, viewing, maintenance, mistyped or refused — ever appears
in the logs, the audit log, notifications, emails, the Form 1/Form 2 PDFs, the management file and
lending exports, or error pages.

The test drives every path that handles a secret through the UI and the API, collects every
secret it saw, then searches every output for each of them. It fails if any one leaks.
"""

import io
import json
import logging
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from kengen.applications.pdf import render_form1
from kengen.applications.services import LineSpec, application_create, application_submit
from kengen.audit.models import AuditEvent
from kengen.contractors.services import contractor_create
from kengen.credentials.models import PasswordApplication, VerifyThrottle
from kengen.credentials.pdf import render_form2
from kengen.credentials.services import (
    password_application_create,
    password_application_submit,
    system_api_key_create,
)
from kengen.credentials.tests.helpers import STRONG, STRONG_2, personal_account, reveal_token
from kengen.grants.services import maintenance_account_register
from kengen.notifications.models import Notification
from kengen.notifications.services import notification_deliver
from kengen.people.choices import PersonKind
from kengen.people.models import Person
from kengen.people.services import person_create
from kengen.testing import START, login, maintenance_contract
from kengen.users.services import api_token_create
from kengen.viewing.services import viewing_id_create, viewing_request

pytestmark = [pytest.mark.django_db, pytest.mark.clause("A8.5")]


@pytest.fixture
def every_log(caplog):
    """Capture every logger at DEBUG, including those that do not propagate (django.request)."""
    caplog.set_level(logging.DEBUG)
    attached = []
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        if not logger.propagate:
            logger.addHandler(caplog.handler)
            attached.append((logger, logger.level))
            logger.setLevel(logging.DEBUG)
    yield caplog
    for logger, level in attached:
        logger.removeHandler(caplog.handler)
        logger.setLevel(level)


def _bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _xlsx_text(data: bytes) -> str:
    ws = load_workbook(io.BytesIO(data)).active
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


def test_no_secret_reaches_any_output(core, client, every_log, mailoutbox, settings):
    w = core
    settings.DEBUG = False
    Person.objects.filter(pk__in=[p.pk for p in w.people.values()]).update(email="staff@example.jp")
    secrets: list[str] = []
    api = {k: _bearer(api_token_create(user=w.users[k], name="t").raw) for k in w.users}
    key = system_api_key_create(actor=w.users["joho_head"], system=w.core_system, name="gw").raw
    secrets.append(key)
    sys_key = _bearer(key)

    def verify(user_id, password):
        return client.post(
            "/api/v1/systems/COKAS/verify",
            {"user_id": user_id, "password": password},
            content_type="application/json",
            **sys_key,
        )

    # 1. a temporary password: issued through the API, revealed once in the UI, used, changed in the UI
    assert (
        client.post(f"/api/v1/credentials/accounts/{w.account.pk}/temporary", **api["joho_head"]).status_code
        == 201
    )
    login(client, w.users["shokuin_head"])
    url = reverse("credentials:reveal")
    temporary = client.post(url, {"token": reveal_token(w.account), "confirm": "1"}).context["value"]
    secrets.append(temporary)
    assert verify("JINJI001", temporary).json()["result"] == "must_change"
    login(client, w.users["jinji_clerk"])
    change = reverse("credentials:change", args=[w.account.pk])
    weak_ui = "password1234567"
    secrets.append(weak_ui)
    refused = client.post(
        change, {"current_password": temporary, "new_password": weak_ui, "new_password_confirm": weak_ui}
    )
    error_pages = [refused.content.decode()]
    wrong_current = "not my password at all 1"
    secrets.append(wrong_current)
    error_pages.append(
        client.post(
            change,
            {"current_password": wrong_current, "new_password": STRONG, "new_password_confirm": STRONG},
        ).content.decode()
    )
    assert (
        client.post(
            change, {"current_password": temporary, "new_password": STRONG, "new_password_confirm": STRONG}
        ).status_code
        == 302
    )
    secrets.append(STRONG)

    # 2. the changed password: verified, mistyped, changed again through the system's API
    assert verify("JINJI001", STRONG).json()["result"] == "valid"
    typo = "kitchen lantern orbit 7 meadowz"
    secrets.append(typo)
    assert verify("JINJI001", typo).json()["result"] == "wrong"
    in_user_field = "my secret typed as a user id"
    secrets.append(in_user_field)
    verify(in_user_field, STRONG)
    weak_api = "JINJI001 password"
    secrets.append(weak_api)
    r422 = client.post(
        "/api/v1/systems/COKAS/password",
        {"user_id": "JINJI001", "current_password": STRONG, "new_password": weak_api},
        content_type="application/json",
        **sys_key,
    )
    assert r422.status_code == 422
    error_pages.append(r422.content.decode())
    r = client.post(
        "/api/v1/systems/COKAS/password",
        {"user_id": "JINJI001", "current_password": STRONG, "new_password": STRONG_2},
        content_type="application/json",
        **sys_key,
    )
    assert r.json()["result"] == "valid"
    secrets.append(STRONG_2)

    # 3. maintenance staff: set in the UI (shown once), a temporary one through the API, verified
    contractor = contractor_create(actor=None, name="保守会社")
    engineer = person_create(
        actor=None,
        family_name="保守",
        given_name="一郎",
        family_name_kana="ホシュ",
        given_name_kana="イチロウ",
        kind=PersonKind.MAINTENANCE,
        contractor=contractor,
        email="engineer@example.jp",
    )
    maintenance_contract(
        engineer,
        [w.core_system],
        organization=w.joho,
        officer=w.users["joho_head"],
        it_head=w.users["joho_head"],
    )
    maintenance_account_register(
        actor=w.users["joho_head"],
        person=engineer,
        system=w.core_system,
        user_id="M0001",
        permissions=[w.tax.permissions.get(code="inquiry")],
        valid_from=START,
        valid_to=timezone.localdate().replace(year=timezone.localdate().year + 1),
    )
    m_account = engineer.accounts.get()
    login(client, w.users["joho_head"])
    m_password = client.post(
        reverse("credentials:account_action", args=[m_account.pk, "maintenance"])
    ).context["value"]
    secrets.append(m_password)
    assert verify("M0001", m_password).json()["result"] == "valid"
    m_temp = client.post(f"/api/v1/credentials/accounts/{m_account.pk}/temporary", **api["joho_head"]).json()[
        "password"
    ]
    secrets.append(m_temp)
    assert verify("M0001", m_temp).json()["result"] == "must_change"

    # 4. a viewing ID: lent in the UI (shown once to the officer), used, returned
    view = viewing_id_create(
        actor=w.users["joho_head"],
        system=w.core_system,
        user_id="VIEW01",
        holder_organization=w.kazei,
        permissions=[w.tax.permissions.get(code="inquiry")],
        valid_from=START,
    )
    lending = viewing_request(actor=w.users["jinji_clerk"], holder_organization=w.kazei, purpose="照会")
    login(client, w.users["shiminzei_head"])
    viewing_password = client.post(
        reverse("viewing:action", args=[lending.pk, "lend"]), {"account": view.pk}
    ).context["value"]
    secrets.append(viewing_password)
    assert verify("VIEW01", viewing_password).json()["result"] == "valid"
    client.post(reverse("viewing:action", args=[lending.pk, "return"]))
    assert verify("VIEW01", viewing_password).json()["result"] != "valid"

    # 5. a server error while a password is being changed: the 500 page and its log
    boom = "exploding passphrase 9 lives"
    secrets.append(boom)

    def explode(**kwargs):
        raise RuntimeError("simulated failure")

    import kengen.credentials.views as credential_views

    original = credential_views.password_change
    credential_views.password_change = explode
    try:
        login(client, w.users["jinji_clerk"])
        client.raise_request_exception = False
        r500 = client.post(
            change, {"current_password": STRONG_2, "new_password": boom, "new_password_confirm": boom}
        )
    finally:
        credential_views.password_change = original
        client.raise_request_exception = True
    assert r500.status_code == 500
    error_pages.append(r500.content.decode())
    assert "simulated failure" in every_log.text  # the error was logged — without the password

    # 6. the forms and exports
    app1 = application_create(
        actor=w.users["shokuin_head"],
        organization=w.shokuin,
        system=w.tax,
        lines=[
            LineSpec(
                person=w.people["jinji_clerk"],
                system=w.tax,
                permissions=[w.tax.permissions.get(code="update")],
                valid_from=timezone.localdate(),
            )
        ],
        reason="異動",
    )
    application_submit(actor=w.users["shokuin_head"], application=app1)
    hr = w.system("HR", "人事給与システム", owner=w.joho)
    hr_account = personal_account(w, hr, "jinji_clerk", "HR001")
    app2 = password_application_create(actor=w.users["jinji_clerk"], account=hr_account, reason="定期変更")
    password_application_submit(actor=w.users["jinji_clerk"], application=app2)
    pdfs = [render_form1(app1), render_form2(PasswordApplication.objects.get(pk=app2.pk)), render_form2(None)]
    login(client, w.users["joho_head"])
    file_csv = client.get(reverse("grants:file"), {"format": "csv"})
    file_xlsx = client.get(reverse("grants:file"), {"format": "xlsx"})
    login(client, w.users["shiminzei_head"])
    lend_csv = client.get(reverse("viewing:list"), {"format": "csv"})
    lend_xlsx = client.get(reverse("viewing:list"), {"format": "xlsx"})
    exports = {
        "management file CSV": file_csv.getvalue().decode("utf-8-sig"),
        "management file XLSX": _xlsx_text(file_xlsx.getvalue()),
        "lending CSV": lend_csv.content.decode("utf-8-sig"),
        "lending XLSX": _xlsx_text(lend_xlsx.content),
    }
    assert "JINJI001" in exports["management file CSV"] and "VIEW01" in exports["lending CSV"]

    # every notification is emailed
    notification_deliver(ids=list(Notification.objects.values_list("id", flat=True)))
    assert mailoutbox, "emails were sent"

    # --- search every output for every secret ---
    outputs: dict[str, str] = {"logs": every_log.text}
    for event in AuditEvent.objects.all():
        outputs[f"audit #{event.seq}"] = " ".join(
            [
                event.actor_label,
                event.action,
                event.target_type,
                event.target_id,
                event.target_label,
                event.application_ref,
                json.dumps(event.old, ensure_ascii=False),
                json.dumps(event.new, ensure_ascii=False),
            ]
        )
    outputs["verify rate counters"] = " ".join(VerifyThrottle.objects.values_list("key", flat=True))
    for n in Notification.objects.all():
        outputs[f"notification {n.pk}"] = f"{n.subject}\n{n.body}\n{n.link}"
    for i, m in enumerate(mailoutbox):
        alternatives = " ".join(str(content) for content, _ in getattr(m, "alternatives", []))
        outputs[f"email {i}"] = f"{m.subject}\n{m.body}\n{alternatives}\n{m.message().as_string()}"
    for i, data in enumerate(pdfs):
        outputs[f"pdf {i}"] = _pdf_text(data) + data.decode("latin-1")
    outputs.update(exports)
    for i, page in enumerate(error_pages):
        outputs[f"error page {i}"] = page
    assert len(secrets) == len(set(secrets)) >= 12
    leaks = [(name, secret) for name, text in outputs.items() for secret in secrets if secret in text]
    assert not leaks, f"secrets leaked into: {sorted({name for name, _ in leaks})}"
    # and the outputs were really looked at
    assert AuditEvent.objects.filter(action__startswith="credential.").count() >= 8
    assert any(re.search(r"A8\.3", m.subject) for m in mailoutbox)
