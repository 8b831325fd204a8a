"""The part every application form (申請書) shares: its number, where it stands, who submitted and
who decided it, when, and why it was rejected.

A form's model subclasses ``WorkflowApplication``, sets ``number_prefix`` and
``decided_status``, and adds its own fields; ``kengen.workflow.services`` moves it through its
states. See ``docs/architecture.md`` ("Adding an application form").
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.workflow.choices import WorkflowStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class WorkflowQuerySet(RestrictedQuerySet):
    """Who may do what with a form's applications (deny by default):

    - ``decide`` (register / complete / reject): the deciding side, once submitted
      (``decider_q``; by default the administrators of the application's ``system``, A3);
    - ``change`` (edit, submit, withdraw): the applicant's side (``applicant_q``);
    - ``view``: both, and auditors (everything, read-only).

    A form's queryset subclasses it and gives ``applicant_q``."""

    def applicant_q(self, scope: ScopeLike, action: str) -> Q:
        raise NotImplementedError

    def decider_q(self, scope: ScopeLike) -> Q | None:
        """``None`` when the user decides nothing of this form."""
        if not scope.administered_system_ids:
            return None
        return Q(system_id__in=scope.administered_system_ids) & ~Q(status=WorkflowStatus.DRAFT)

    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        decider = self.decider_q(scope)
        if action == "decide":
            return self.none() if decider is None else self.filter(decider)
        if action == "change":
            return self.filter(self.applicant_q(scope, action))
        if scope.sees_everything:
            return self
        q = self.applicant_q(scope, action)
        return self.filter(q if decider is None else q | decider)


class WorkflowApplication(models.Model):
    """An application form that a person submits and another side decides (abstract).

    ``number`` is ``<prefix><fiscal year>-<5 digits>``, counted per fiscal year and form
    (``2025-00001`` for Form 1, ``P2025-00001`` for Form 2). ``decided_by`` is the person who
    registered, completed or rejected it; ``decided_at`` is also set by a withdrawal."""

    #: What this form's numbers start with; unique among forms.
    number_prefix: ClassVar[str] = ""
    #: The status a positive decision puts it in (``REGISTERED`` or ``COMPLETED``).
    decided_status: ClassVar[str] = WorkflowStatus.REGISTERED
    #: The submit button, its confirmation and the message after it, naming who the form goes to
    #: (Form 1 and Form 2 go to the system's administrator; other forms say their addressee).
    submit_label: ClassVar[StrOrPromise] = _("Submit to the administrator")
    submit_confirm: ClassVar[StrOrPromise] = _(
        "Submit this application to the administrator? You cannot edit it afterwards."
    )
    submitted_message: ClassVar[StrOrPromise] = _("Submitted to the administrator.")

    number = models.CharField(_("application number"), max_length=20, unique=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=WorkflowStatus.choices,
        default=WorkflowStatus.DRAFT,
        db_index=True,
    )
    reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=WorkflowStatus.REJECTED) | ~Q(rejection_reason=""),
                name="%(class)s_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status=WorkflowStatus.DRAFT)
                | Q(status=WorkflowStatus.WITHDRAWN)
                | Q(submitted_at__isnull=False, submitted_by__isnull=False),
                name="%(class)s_submitted_has_time_and_person",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=sorted(WorkflowStatus.decided()))
                | Q(decided_at__isnull=False, decided_by__isnull=False),
                name="%(class)s_decided_has_time_and_person",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def status_choices(cls) -> list[tuple[str, Any]]:
        """This form's statuses: the workflow's, with only its own positive decision."""
        others = WorkflowStatus.decided() - {cls.decided_status, WorkflowStatus.REJECTED}
        return [(value, label) for value, label in WorkflowStatus.choices if value not in others]

    @property
    def is_open(self) -> bool:
        """Not decided or withdrawn yet."""
        return self.status in WorkflowStatus.open()
