"""The append-only, hash-chained audit log."""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from kengen.audit.choices import AuditAction
from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike


def _scoped_targets() -> list[tuple[str, RestrictedQuerySet]]:
    """``(target_type, all rows)`` for every model whose rows are read through ``restrict``."""
    from django.apps import apps

    return [
        (model._meta.label_lower, rows)
        for model in apps.get_models()
        if model is not AuditEvent and isinstance(rows := model._default_manager.all(), RestrictedQuerySet)
    ]


class AuditEventQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        """Auditors (and superusers) read the whole log; everyone reads what they did themselves.

        The core administrator also reads the events about the objects it may see — the same
        ``restrict`` as the objects themselves, so it never learns from the log about another
        system's credentials, a Form 2 or a lending it would get a 404 for (security review,
        issue 10). Events about sign-ins, sessions and tokens of other people stay the auditors'."""
        if action != "view":
            return self.none()  # nobody edits the audit log
        if scope.sees_everything:
            return self
        q = Q(actor_id=scope.user_id)
        if scope.is_core_admin:
            for target_type, rows in _scoped_targets():
                visible = (
                    rows.restrict_to_scope(scope, "view", on)
                    .annotate(_target_id=Cast("pk", output_field=models.CharField()))
                    .values("_target_id")
                )
                q |= Q(target_type=target_type, target_id__in=visible)
        return self.filter(q)


class AuditEvent(models.Model):
    """One thing that happened: who, what, to what, when (UTC), on whose application, old/new.

    Rows are only ever inserted (database triggers refuse UPDATE and DELETE). Each row's ``hash`` is
    an HMAC over its content and the previous row's hash, so ``kengen audit verify`` finds any row
    that was modified, deleted, inserted or reordered.
    """

    seq = models.BigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=64, choices=AuditAction.choices)
    target_type = models.CharField(_("target type"), max_length=64, blank=True, db_index=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True, db_index=True)
    target_label = models.CharField(_("target"), max_length=300, blank=True)
    application_ref = models.CharField(
        _("on application"),
        max_length=100,
        blank=True,
        help_text=_("The application or rule the change was made on."),
    )
    old = models.JSONField(_("old values"), null=True, blank=True)
    new = models.JSONField(_("new values"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    key_id = models.PositiveSmallIntegerField(
        _("audit key"),
        default=0,
        help_text=_("Which key of the audit key ring signed this event (0: legacy)."),
    )
    canon = models.PositiveSmallIntegerField(
        _("canonical form"),
        default=1,
        help_text=_("Version of the canonical form the hash was computed over."),
    )

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [
            models.CheckConstraint(condition=Q(seq__gte=1), name="audit_seq_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_label}"


class AuditChainHead(models.Model):
    """The single row that holds the latest sequence number and hash.

    Writers lock it (``select_for_update``) so that events are chained one after another even when
    several processes write at once, and ``verify`` compares it with the last event to detect a
    truncated tail.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = _("audit chain head")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audit_head_singleton")]

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"
