"""Passwords held in the management file (A2.6, A8): policies, verifiers, events, Form 2.

Kengen never stores a password, only what proves one: an Argon2id verifier (``Credential``) and
the verifiers of the last few passwords (``PasswordHistory``, A8.7). A temporary password is never
stored at all: it is derived from the one-time reveal link's token (``RevealLink`` keeps only the
token's digest). ``CredentialEvent`` is the history of a user ID's password — issued, revealed,
changed, due, locked — and is all Kengen keeps for systems that hold their own passwords.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kengen.core.models import RestrictedQuerySet
from kengen.core.scope import ScopeLike
from kengen.credentials.choices import (
    ApplicantKind,
    CredentialEventKind,
    CredentialMode,
    CredentialStatus,
    LockReason,
    PasswordApplicationKind,
    PasswordApplicationStatus,
)
from kengen.workflow.models import WorkflowApplication, WorkflowQuerySet

#: Defaults for a system without a policy row; a deployment may override any of them with
#: ``settings.KENGEN_CREDENTIAL_DEFAULTS``.
POLICY_DEFAULTS = {
    "mode": CredentialMode.SYSTEM,
    "min_length": 12,
    "max_age_days": 90,
    "reminder_days": 14,
    "history_count": 5,
    "temporary_validity_days": 7,
    "min_character_classes": 0,
    "lockout_threshold": 10,
}


def policy_default(name: str) -> int | str:
    return {**POLICY_DEFAULTS, **getattr(settings, "KENGEN_CREDENTIAL_DEFAULTS", {})}[name]


class CredentialPolicyQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if action == "view":
            return self  # a policy is configuration, not a secret
        if scope.is_configurator:
            return self
        return self.filter(system_id__in=scope.administered_system_ids)


class CredentialPolicy(models.Model):
    """How one system keeps and ages passwords (A8.2–A8.7). Systems without a row use
    ``POLICY_DEFAULTS`` (held by the system, 12 characters, 90 days, history of 5, temporary
    passwords valid 7 days, no composition rules)."""

    system = models.OneToOneField(
        "systems.System",
        on_delete=models.PROTECT,
        related_name="credential_policy",
        verbose_name=_("system"),
    )
    mode = models.CharField(
        _("passwords held by"),
        max_length=10,
        choices=CredentialMode.choices,
        default=POLICY_DEFAULTS["mode"],
    )
    min_length = models.PositiveSmallIntegerField(
        _("minimum length"),
        default=POLICY_DEFAULTS["min_length"],
        help_text=_("Characters after Unicode NFKC normalisation (A8.6)."),
    )
    max_age_days = models.PositiveSmallIntegerField(
        _("change every (days)"),
        default=POLICY_DEFAULTS["max_age_days"],
        help_text=_("Art. 8(7) requires periodic change."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("remind before (days)"), default=POLICY_DEFAULTS["reminder_days"]
    )
    history_count = models.PositiveSmallIntegerField(
        _("passwords remembered"),
        default=POLICY_DEFAULTS["history_count"],
        help_text=_("The last N passwords (the current one included) cannot be used again."),
    )
    temporary_validity_days = models.PositiveSmallIntegerField(
        _("temporary password valid for (days)"),
        default=POLICY_DEFAULTS["temporary_validity_days"],
    )
    min_character_classes = models.PositiveSmallIntegerField(
        _("character classes required"),
        default=POLICY_DEFAULTS["min_character_classes"],
        help_text=_(
            "0 = no composition rule (recommended). 1–4: how many of lower case, upper case, "
            "digits and other characters a password must mix."
        ),
    )
    lockout_threshold = models.PositiveSmallIntegerField(
        _("lock after wrong passwords"), default=POLICY_DEFAULTS["lockout_threshold"]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = CredentialPolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("password policy")
        verbose_name_plural = _("password policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_length__gte=8, min_length__lte=64), name="credential_policy_min_length"
            ),
            models.CheckConstraint(condition=Q(max_age_days__gte=1), name="credential_policy_max_age"),
            models.CheckConstraint(
                condition=Q(temporary_validity_days__gte=1), name="credential_policy_temporary_validity"
            ),
            models.CheckConstraint(
                condition=Q(min_character_classes__lte=4), name="credential_policy_classes"
            ),
            models.CheckConstraint(condition=Q(lockout_threshold__gte=1), name="credential_policy_lockout"),
        ]

    def __str__(self) -> str:
        return f"{self.system}: {self.get_mode_display()}"

    @property
    def holds_verifier(self) -> bool:
        return self.mode == CredentialMode.KENGEN


def _credential_scope_q(scope: ScopeLike, on: dt.date | None, prefix: str) -> Q | None:
    from kengen.grants.models import _account_scope_q

    return _account_scope_q(scope, on, prefix=prefix)


class CredentialQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        """As the management file: the holder, the officers of their units (and of the units
        holding viewing IDs), the administrators of the system, auditors. Changes go through
        services that check the acting role."""
        if action != "view":
            return self.none()
        q = _credential_scope_q(scope, on, "account__")
        return self if q is None else self.filter(q)


class Credential(models.Model):
    """The password of one user ID: its verifier (Argon2id, only when Kengen holds it) and its
    deadlines. The password itself is never stored, logged or shown again (A8.5)."""

    account = models.OneToOneField(
        "grants.Account",
        on_delete=models.PROTECT,
        related_name="credential",
        verbose_name=_("user ID"),
    )
    verifier = models.CharField(_("verifier"), max_length=256, blank=True, editable=False)
    is_temporary = models.BooleanField(_("temporary"), default=False)
    temporary_expires_at = models.DateTimeField(_("temporary password expires at"), null=True, blank=True)
    changed_at = models.DateTimeField(_("set at"), null=True, blank=True)
    expires_at = models.DateTimeField(
        _("change due at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("A8.7; for maintenance staff at the latest the end of their user ID (A8.8)."),
    )
    failed_attempts = models.PositiveIntegerField(_("wrong passwords in a row"), default=0)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    lock_reason = models.CharField(_("lock reason"), max_length=20, choices=LockReason.choices, blank=True)
    reminded_for = models.DateTimeField(null=True, blank=True, editable=False)
    due_recorded_for = models.DateTimeField(null=True, blank=True, editable=False)
    last_verified_at = models.DateTimeField(_("last verified at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        verbose_name = _("password")
        verbose_name_plural = _("passwords")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_temporary=False) | Q(temporary_expires_at__isnull=False),
                name="credential_temporary_has_expiry",
            ),
            models.CheckConstraint(
                condition=Q(locked_at__isnull=True, lock_reason="")
                | (Q(locked_at__isnull=False) & ~Q(lock_reason="")),
                name="credential_lock_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return str(self.account)

    def status(self, *, now: dt.datetime, reminder_days: int = 0) -> str:
        if self.locked_at is not None:
            return CredentialStatus.LOCKED
        if self.is_temporary:
            if self.temporary_expires_at and self.temporary_expires_at <= now:
                return CredentialStatus.LOCKED
            return CredentialStatus.TEMPORARY
        if not self.verifier and self.changed_at is None:
            return CredentialStatus.NONE
        if self.expires_at is not None:
            if self.expires_at <= now:
                return CredentialStatus.EXPIRED
            if self.expires_at - dt.timedelta(days=reminder_days) <= now:
                return CredentialStatus.DUE_SOON
        return CredentialStatus.ACTIVE


class PasswordHistory(models.Model):
    """Verifiers of the passwords a user ID used before (A8.7: no reuse of the last N)."""

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="history")
    verifier = models.CharField(max_length=256, editable=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("former password")
        verbose_name_plural = _("former passwords")

    def __str__(self) -> str:
        return f"{self.credential} {self.created_at:%Y-%m-%d}"


class CredentialEventQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if action != "view":
            return self.none()
        q = _credential_scope_q(scope, on, "account__")
        return self if q is None else self.filter(q)


class CredentialEvent(models.Model):
    """One thing that happened to a user ID's password: issued, revealed, changed, due …
    For systems that hold their own passwords this is all Kengen records. Never the secret."""

    account = models.ForeignKey(
        "grants.Account",
        on_delete=models.PROTECT,
        related_name="credential_events",
        verbose_name=_("user ID"),
    )
    kind = models.CharField(_("event"), max_length=30, choices=CredentialEventKind.choices)
    occurred_at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_label = models.CharField(_("by"), max_length=200, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = CredentialEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("password event")
        verbose_name_plural = _("password events")

    def __str__(self) -> str:
        return f"{self.account.user_id} {self.get_kind_display()}"


class RevealLinkQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        return self.filter(recipient_id=scope.person_id) if scope.person_id else self.none()


class RevealLink(models.Model):
    """A one-time link that shows a temporary password to the security officer it was sent to
    (A8.3). Only the SHA-256 digest of its token is stored. Until the link is used, superseded or
    expires, ``sealed`` holds the password encrypted under a key derived from the token and a
    server key (``passwords.seal_temporary``): the token alone (in the notification) or the database
    and the server key alone cannot open it; once the link is done, nothing can."""

    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, related_name="reveal_links")
    recipient = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("security officer")
    )
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("revealed at"), null=True, blank=True)
    length = models.PositiveSmallIntegerField(default=16, editable=False)
    sealed = models.TextField(blank=True, default="", editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = RevealLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reveal link")
        verbose_name_plural = _("reveal links")

    def __str__(self) -> str:
        return f"{self.credential} → {self.recipient}"


class SystemApiKeyQuerySet(RestrictedQuerySet):
    def restrict_to_scope(self, scope: ScopeLike, action: str, on: dt.date | None = None) -> Self:
        if action == "view" and scope.sees_everything:
            return self
        return self.filter(system_id__in=scope.administered_system_ids)


class SystemApiKey(models.Model):
    """The key a system presents to ``/api/v1/systems/{code}/verify``. Only a SHA-256 digest is
    stored; the value is shown once to the administrator who created it."""

    system = models.ForeignKey(
        "systems.System", on_delete=models.PROTECT, related_name="api_keys", verbose_name=_("system")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = SystemApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("system API key")
        verbose_name_plural = _("system API keys")

    def __str__(self) -> str:
        return f"{self.system}: {self.name} ({self.prefix}…)"


class VerifyThrottle(models.Model):
    """A failure counter for the verify API's rate limits (per user ID of a system, per system
    key; a fixed window), kept in the database so that every Kengen process shares it. Only
    failed attempts are counted (``credentials.services.verify``)."""

    key = models.CharField(max_length=200, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("verify rate counter")
        verbose_name_plural = _("verify rate counters")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class PasswordApplicationQuerySet(WorkflowQuerySet):
    def applicant_q(self, scope: ScopeLike, action: str) -> Q:
        """The applicant (the user, or the officer of a fiscal-year appointee) edits and submits;
        the system's administrator completes or rejects once submitted; the user, the officers
        of their unit and auditors read."""
        if action == "change":
            q = Q(created_by_id=scope.user_id, applicant_kind=ApplicantKind.SELF)
            if scope.officer_org_ids:
                q |= Q(applicant_kind=ApplicantKind.OFFICER, organization_id__in=scope.officer_org_ids)
            return q
        q = Q(created_by_id=scope.user_id)
        if scope.person_id:
            q |= Q(person_id=scope.person_id)
        if scope.officer_org_ids:
            q |= Q(organization_id__in=scope.officer_org_ids)
        return q


class PasswordApplication(WorkflowApplication):
    """別記様式2 システム使用者のパスワード申請書 (A8.1, F2): registering or changing the password of
    a user ID on a system that holds its own passwords, applied for to its administrator by the
    user — or, for a fiscal-year appointee, by the security officer. It never holds a password."""

    number_prefix = "P"
    decided_status = PasswordApplicationStatus.COMPLETED

    system = models.ForeignKey(
        "systems.System",
        on_delete=models.PROTECT,
        related_name="password_applications",
        verbose_name=_("system"),
    )
    account = models.ForeignKey(
        "grants.Account",
        on_delete=models.PROTECT,
        related_name="password_applications",
        verbose_name=_("user ID"),
    )
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.PROTECT,
        related_name="password_applications",
        verbose_name=_("system user"),
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
    )
    kind = models.CharField(
        _("registration / change"),
        max_length=10,
        choices=PasswordApplicationKind.choices,
        default=PasswordApplicationKind.CHANGE,
    )
    applicant_kind = models.CharField(_("applied by"), max_length=10, choices=ApplicantKind.choices)
    applicant = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("applicant")
    )

    objects = PasswordApplicationQuerySet.as_manager()

    class Meta(WorkflowApplication.Meta):
        verbose_name = _("password application (Form 2)")
        verbose_name_plural = _("password applications (Form 2)")

    def __str__(self) -> str:
        return f"{self.number} {self.system}"


class VerifyDataVersion(models.Model):
    """One row whose ``version`` changes whenever what the verify API caches in each process
    changes: system API keys (created, revoked, re-pointed; not ``last_used_at``), password
    policies and systems. Database triggers bump it (migration ``0006_verify_data_version``), so
    a revoked key or a changed policy is seen by the very next verify, whatever made the write.
    Like ``roles.ScopeDataVersion``: on PostgreSQL the trigger runs once per transaction, at
    commit."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"verify data version {self.version}"
