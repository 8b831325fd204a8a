"""Moving an application form through its states: submit, withdraw, decide (register / complete),
reject — one transaction each, audited, with the notices the regulation requires.

Each form describes itself once with a ``Workflow`` (in its own app's ``services``): its model, its
audit actions, its detail page, and the hooks where its own rules live (Form 1's A5.3/A7/A10
checks, Form 2's password completion). The form's public services are then one line each::

    FORM1 = Form1Workflow()

    def application_submit(*, actor, application):
        return workflow_submit(FORM1, actor=actor, application=application)

What happens, for every form:

- ``workflow_submit``: the applicant's side (``restrict(actor, "change")``) sends a draft; the
  form's ``check_submit`` hook may refuse; ``submitted_at``/``submitted_by`` are set and the
  deciding side (``deciders``, by default the administrators of ``application.system``) is
  notified.
- ``workflow_withdraw``: the applicant's side takes back a draft or a submitted application.
- ``workflow_decide``: the deciding side (``restrict(actor, "decide")``) applies the form's
  ``decide`` hook — all of it or none — and the status becomes the form's ``decided_status``;
  the applicant's side (``applicant_side``) is notified.
- ``workflow_reject``: the deciding side rejects with a reason; the applicant's side is notified.

Refusals are domain exceptions: ``NotFound`` outside the actor's scope, ``Conflict`` in the
wrong state, ``RuleViolation`` for a missing reason or a form rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.dates import fiscal_year
from kengen.core.exceptions import Conflict, NotFound, RuleViolation
from kengen.notifications.services import notification_send, notifications_resolve
from kengen.people.models import Person
from kengen.roles.selectors import administrators_of
from kengen.users.models import User
from kengen.workflow.choices import WorkflowStatus
from kengen.workflow.models import WorkflowApplication

A = TypeVar("A", bound=WorkflowApplication)


@dataclass(frozen=True)
class Notice:
    """What a notification says; the workflow picks the recipients, the target and the link."""

    clause: str
    subject: str
    body: str


@dataclass(frozen=True)
class AuditActions:
    """The audit event types (``AuditAction`` values) of one form's transitions."""

    created: AuditAction
    submitted: AuditAction
    withdrawn: AuditAction
    decided: AuditAction
    rejected: AuditAction


@dataclass(frozen=True)
class Decision(Generic[A]):
    """A decided application and what the form's ``decide`` hook returned."""

    application: A
    result: Any = None


class Workflow(Generic[A]):
    """What one application form tells the shared workflow. Subclass it in the form's app and
    override the hooks the form needs; the defaults do nothing and refuse nothing."""

    model: ClassVar[type[WorkflowApplication]]
    audit: ClassVar[AuditActions]
    #: URL name of the form's detail page (takes the application's pk).
    detail_url: ClassVar[str]

    def link(self, app: A) -> str:
        return reverse(self.detail_url, args=[app.pk])

    # --- submission -----------------------------------------------------------------------------

    def check_submit(self, app: A, *, actor: User) -> None:
        """Refuse a submission that breaks the form's rules (raise a domain exception)."""

    def before_submit(self, app: A, *, actor: User) -> list[str]:
        """Set the form's own fields at submission; return their names."""
        return []

    def deciders(self, app: A, on: dt.date) -> Iterable[Person]:
        """Who decides: by default the administrators of the application's system (A3)."""
        return administrators_of(app.system, on)  # type: ignore[attr-defined]

    def submitted_notice(self, app: A) -> Notice:
        raise NotImplementedError

    # --- decision -------------------------------------------------------------------------------

    def decide(self, app: A, *, actor: User, now: dt.datetime, **options: Any) -> Any:
        """Do what a positive decision means for this form (in the same transaction)."""
        return None

    def decided_audit(self, app: A, result: Any) -> dict[str, Any]:
        """Values of the decision's audit event besides the new status."""
        return {}

    def applicant_side(self, app: A, on: dt.date) -> list[Person]:
        """Who hears of the decision."""
        raise NotImplementedError

    def decided_notice(self, app: A, result: Any, now: dt.datetime) -> Notice:
        raise NotImplementedError

    def rejected_notice(self, app: A) -> Notice:
        raise NotImplementedError

    def after_decide(self, app: A, *, actor: User, result: Any) -> None:
        """What follows a positive decision once it is recorded and notified."""


# --- building blocks ---------------------------------------------------------------------------


def workflow_number(model: type[WorkflowApplication], *, today: dt.date) -> str:
    """The next number of ``model``'s form in the fiscal year of ``today``: ``<prefix>2025-00001``.
    Call it inside the transaction that creates the application (the number is unique)."""
    prefix = f"{model.number_prefix}{fiscal_year(today)}-"
    last = model._default_manager.filter(number__startswith=prefix).aggregate(m=Max("number"))["m"]
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:05d}"


def workflow_lock(application: A, *, actor: User, action: str) -> A:
    """``application`` locked for update if ``actor`` may do ``action`` on it; otherwise 404."""
    model = type(application)
    locked = (
        model._default_manager.restrict(actor, action)  # type: ignore[attr-defined]
        .select_for_update()
        .filter(pk=application.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("Not found."))
    return locked


def workflow_expect(app: WorkflowApplication, *statuses: str) -> None:
    """Refuse (``Conflict``) unless ``app`` is in one of ``statuses``."""
    if app.status not in statuses:
        raise Conflict(
            _("Application %(number)s is %(status)s; this cannot be done now.")
            % {"number": app.number, "status": app.get_status_display()}
        )


def workflow_audit(
    flow: Workflow[A],
    action: AuditAction,
    *,
    actor: User,
    application: A,
    old: dict | None = None,
    new: dict | None = None,
) -> None:
    """One audit event about ``application``, filed under its number."""
    audit_record(
        actor=actor,
        action=action,
        target=application,
        application_ref=application.number,
        old=old,
        new=new,
    )


def _notify(flow: Workflow[A], app: A, recipients: Iterable[Person], notice: Notice) -> None:
    notification_send(
        recipients=recipients,
        clause=notice.clause,
        subject=notice.subject,
        body=notice.body,
        target=app,
        link=flow.link(app),
    )


# --- the transitions ---------------------------------------------------------------------------


@transaction.atomic
def workflow_submit(flow: Workflow[A], *, actor: User, application: A) -> A:
    """Send a draft to the deciding side. The form's rules are checked now (and again when it is
    decided, if the form's ``decide`` hook does so)."""
    app = workflow_lock(application, actor=actor, action="change")
    workflow_expect(app, WorkflowStatus.DRAFT)
    flow.check_submit(app, actor=actor)
    app.status = WorkflowStatus.SUBMITTED
    app.submitted_at = timezone.now()
    app.submitted_by = actor.person
    extra = flow.before_submit(app, actor=actor)
    app.save(update_fields=["status", "submitted_at", "submitted_by", *extra])
    workflow_audit(
        flow,
        flow.audit.submitted,
        actor=actor,
        application=app,
        old={"status": WorkflowStatus.DRAFT},
        new={"status": app.status},
    )
    _notify(flow, app, flow.deciders(app, timezone.localdate()), flow.submitted_notice(app))
    return app


@transaction.atomic
def workflow_withdraw(flow: Workflow[A], *, actor: User, application: A) -> A:
    """The applicant's side takes back a draft or a submitted application."""
    app = workflow_lock(application, actor=actor, action="change")
    workflow_expect(app, *WorkflowStatus.open())
    old = app.status
    app.status = WorkflowStatus.WITHDRAWN
    app.decided_at = timezone.now()
    app.save(update_fields=["status", "decided_at"])
    notifications_resolve(target=app)  # nobody has to decide it any more
    workflow_audit(
        flow,
        flow.audit.withdrawn,
        actor=actor,
        application=app,
        old={"status": old},
        new={"status": app.status},
    )
    return app


@transaction.atomic
def workflow_decide(flow: Workflow[A], *, actor: User, application: A, **options: Any) -> Decision[A]:
    """The deciding side registers / completes a submitted application: the form's ``decide``
    hook does the work (all or nothing), then the applicant's side is notified."""
    app = workflow_lock(application, actor=actor, action="decide")
    workflow_expect(app, WorkflowStatus.SUBMITTED)
    now = timezone.now()
    result = flow.decide(app, actor=actor, now=now, **options)
    app.status = app.decided_status
    app.decided_at = now
    app.decided_by = actor.person
    app.save(update_fields=["status", "decided_at", "decided_by"])
    notifications_resolve(target=app)  # "waiting for registration" is done
    workflow_audit(
        flow,
        flow.audit.decided,
        actor=actor,
        application=app,
        old={"status": WorkflowStatus.SUBMITTED},
        new={"status": app.status, **flow.decided_audit(app, result)},
    )
    _notify(flow, app, flow.applicant_side(app, timezone.localdate()), flow.decided_notice(app, result, now))
    flow.after_decide(app, actor=actor, result=result)
    return Decision(application=app, result=result)


@transaction.atomic
def workflow_reject(flow: Workflow[A], *, actor: User, application: A, reason: str) -> A:
    """The deciding side rejects a submitted application, saying why."""
    app = workflow_lock(application, actor=actor, action="decide")
    workflow_expect(app, WorkflowStatus.SUBMITTED)
    if not reason.strip():
        raise RuleViolation(_("Say why the application is rejected."), field="reason")
    app.status = WorkflowStatus.REJECTED
    app.rejection_reason = reason.strip()
    app.decided_at = timezone.now()
    app.decided_by = actor.person
    app.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
    notifications_resolve(target=app)  # sent back: nothing left to decide
    workflow_audit(
        flow,
        flow.audit.rejected,
        actor=actor,
        application=app,
        old={"status": WorkflowStatus.SUBMITTED},
        new={"status": app.status, "reason": app.rejection_reason},
    )
    _notify(flow, app, flow.applicant_side(app, timezone.localdate()), flow.rejected_notice(app))
    return app
