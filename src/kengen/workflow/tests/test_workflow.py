"""The shared application workflow, exercised through both of its forms (Form 1 and Form 2): the
same numbering, transitions, scopes, constraints, audit events and notices for each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kengen.applications.models import Application
from kengen.applications.services import FORM1, LineSpec, application_create
from kengen.audit.models import AuditEvent
from kengen.core.dates import fiscal_year, fiscal_year_end
from kengen.core.exceptions import Conflict, NotFound, RuleViolation
from kengen.credentials.models import CredentialEvent, PasswordApplication
from kengen.credentials.services import FORM2, password_application_create
from kengen.credentials.services.form2 import Form2Workflow
from kengen.credentials.tests.helpers import personal_account
from kengen.notifications.models import Notification
from kengen.workflow.choices import WorkflowStatus
from kengen.workflow.services import (
    Workflow,
    workflow_decide,
    workflow_number,
    workflow_reject,
    workflow_submit,
    workflow_withdraw,
)

pytestmark = pytest.mark.django_db


@dataclass
class Form:
    """One form on the workflow, with who applies and who decides in the test world."""

    flow: Workflow
    prefix: str
    draft: Callable[[], Any]
    applicant: Any
    decider: Any
    #: What the form's decision takes (the consultation: the IT division head's answer), and what
    #: else a decided row holds.
    options: dict = field(default_factory=dict)


def _form1(world) -> Form:
    _, tax = world.core()

    def draft():
        return application_create(
            actor=world.users["shokuin_head"],
            organization=world.shokuin,
            system=tax,
            lines=[
                LineSpec(
                    person=world.people["jinji_clerk"],
                    system=tax,
                    permissions=[tax.permissions.get(code="inquiry")],
                    valid_from=timezone.localdate(),
                )
            ],
        )

    return Form(FORM1, "", draft, world.users["shokuin_head"], world.users["joho_head"])


def _form2(world) -> Form:
    hr = world.system("HR", "人事給与システム", owner=world.joho)
    account = personal_account(world, hr, "jinji_clerk", "HR001")

    def draft():
        return password_application_create(actor=world.users["jinji_clerk"], account=account)

    return Form(FORM2, "P", draft, world.users["jinji_clerk"], world.users["joho_head"])


def _consultation(world) -> Form:
    from kengen.contractors.services import contractor_create
    from kengen.outsourcing.services import CONSULTATION, consultation_create, contract_create

    world.core()  # 情報システム課長 administers the core system: the IT division head (A12.2)
    system = world.system("HR", "人事給与システム", owner=world.shokuin)
    contract = contract_create(
        actor=None,
        contractor=contractor_create(actor=None, name="北見情報サービス"),
        title="保守",
        work="maintenance",
        systems=[system],
        organization=world.shokuin,
        valid_from=timezone.localdate(),
        valid_to=timezone.localdate() + dt.timedelta(days=365),
    )

    def draft():
        return consultation_create(actor=world.users["shokuin_head"], contract=contract, reason="新規委託")

    return Form(
        CONSULTATION, "C", draft, world.users["shokuin_head"], world.users["joho_head"], {"answer": "agree"}
    )


@pytest.fixture(params=["form1", "form2", "consultation"])
def form(request, world) -> Form:
    return {"form1": _form1, "form2": _form2, "consultation": _consultation}[request.param](world)


def _notified(person, app) -> bool:
    return Notification.objects.filter(recipient=person, subject__contains=app.number).exists()


def test_numbers_count_per_fiscal_year_and_form(form):
    today = timezone.localdate()
    app = form.draft()
    fy = fiscal_year(today)
    assert app.number == f"{form.prefix}{fy}-00001"
    model = form.flow.model
    assert workflow_number(model, today=today) == f"{form.prefix}{fy}-00002"
    assert workflow_number(model, today=fiscal_year_end(today)) == f"{form.prefix}{fy + 1}-00001"
    other = Application if model is PasswordApplication else PasswordApplication
    assert workflow_number(other, today=today).endswith(f"{fy}-00001")  # each form counts its own


def test_a_draft_goes_to_the_deciding_side_and_the_decision_comes_back(form):
    app = form.draft()
    assert app.status == WorkflowStatus.DRAFT and app.is_open
    workflow_submit(form.flow, actor=form.applicant, application=app)
    app.refresh_from_db()
    assert app.status == WorkflowStatus.SUBMITTED
    assert app.submitted_by == form.applicant.person and app.submitted_at is not None
    assert _notified(form.decider.person, app)  # the deciding side hears of it

    decision = workflow_decide(form.flow, actor=form.decider, application=app, **form.options)
    app.refresh_from_db()
    assert decision.application.pk == app.pk
    assert app.status == form.flow.model.decided_status and not app.is_open
    assert app.decided_by == form.decider.person and app.decided_at is not None
    assert _notified(form.applicant.person, app)  # and the applicant's side hears back
    actions = list(
        AuditEvent.objects.filter(application_ref=app.number).order_by("id").values_list("action", flat=True)
    )
    audit = form.flow.audit
    assert actions[0] == audit.created and actions[-1] == audit.decided
    assert audit.submitted in actions


def test_a_rejection_needs_a_reason_and_goes_back_to_the_applicant(form):
    app = form.draft()
    workflow_submit(form.flow, actor=form.applicant, application=app)
    with pytest.raises(RuleViolation) as exc:
        workflow_reject(form.flow, actor=form.decider, application=app, reason="  ")
    assert exc.value.field == "reason"
    app.refresh_from_db()
    assert app.status == WorkflowStatus.SUBMITTED
    workflow_reject(form.flow, actor=form.decider, application=app, reason=" 記載不備 ")
    app.refresh_from_db()
    assert app.status == WorkflowStatus.REJECTED and app.rejection_reason == "記載不備"
    assert app.decided_by == form.decider.person
    assert Notification.objects.filter(recipient=form.applicant.person, body__contains="記載不備").exists()
    with pytest.raises(Conflict):  # decided: nothing more to do
        workflow_decide(form.flow, actor=form.decider, application=app, **form.options)


def test_only_an_open_application_can_be_withdrawn(form):
    app = form.draft()
    workflow_withdraw(form.flow, actor=form.applicant, application=app)
    app.refresh_from_db()
    assert app.status == WorkflowStatus.WITHDRAWN and app.decided_at is not None
    assert app.submitted_by is None and app.decided_by is None
    for step in (workflow_withdraw, workflow_submit):
        with pytest.raises(Conflict):
            step(form.flow, actor=form.applicant, application=app)


def test_each_side_acts_only_on_its_own_steps(form):
    app = form.draft()
    with pytest.raises(NotFound):  # a draft is not the deciding side's to see
        workflow_submit(form.flow, actor=form.decider, application=app)
    with pytest.raises(NotFound):
        workflow_decide(form.flow, actor=form.decider, application=app, **form.options)
    workflow_submit(form.flow, actor=form.applicant, application=app)
    with pytest.raises(NotFound):
        workflow_decide(form.flow, actor=form.applicant, application=app, **form.options)
    app.refresh_from_db()
    assert app.status == WorkflowStatus.SUBMITTED


@pytest.mark.parametrize(
    "broken", ["rejected_without_reason", "submitted_without_submitter", "decided_without_decider"]
)
def test_the_database_refuses_an_inconsistent_state(form, broken):
    app = form.draft()
    workflow_submit(form.flow, actor=form.applicant, application=app)
    decided = {"decided_at": timezone.now(), "decided_by": form.decider.person}
    values = {
        "rejected_without_reason": {"status": WorkflowStatus.REJECTED, **decided},
        "submitted_without_submitter": {"submitted_by": None},
        "decided_without_decider": {"status": type(app).decided_status, "decided_at": timezone.now()},
    }[broken]
    with pytest.raises(IntegrityError), transaction.atomic():
        type(app).objects.filter(pk=app.pk).update(**values)
    type(app).objects.filter(pk=app.pk).update(  # the same, made whole, is accepted
        **{
            **values,
            **decided,
            **form.options,
            "rejection_reason": "記載不備",
            "submitted_by": form.applicant.person,
        }
    )


def test_a_refused_decision_changes_nothing(world):
    form = _form2(world)
    app = form.draft()
    workflow_submit(form.flow, actor=form.applicant, application=app)

    class Refusing(Form2Workflow):
        def decide(self, app, *, actor, now, **options):
            super().decide(app, actor=actor, now=now, **options)  # records the change …
            raise RuleViolation("refused after the work was done")  # … then refuses

    with pytest.raises(RuleViolation):
        workflow_decide(Refusing(), actor=form.decider, application=app)
    app.refresh_from_db()
    assert app.status == WorkflowStatus.SUBMITTED and app.decided_by is None
    assert not CredentialEvent.objects.filter(reference=app.number).exists()
    assert not AuditEvent.objects.filter(action=form.flow.audit.decided, application_ref=app.number).exists()


def test_a_form_lists_only_its_own_positive_decision():
    assert [v for v, _ in Application.status_choices()] == [
        "draft",
        "submitted",
        "registered",
        "rejected",
        "withdrawn",
    ]
    assert "registered" not in dict(PasswordApplication.status_choices())
    assert "completed" in dict(PasswordApplication.status_choices())
