"""Kengen's own sign-in accounts and API tokens.

A Kengen user is how a person signs in to Kengen; it is not an account on a business system (those
are ``grants.Account``). Roles are never stored on the user: they are derived from the posts the
linked person holds (``kengen.roles``), apart from the few designated roles such as auditor.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from kengen.users.choices import ThrottleKind


class User(AbstractUser):
    """A person's sign-in to Kengen, linked to the ``people.Person`` whose posts give it roles."""

    person = models.OneToOneField(
        "people.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="kengen_user",
        verbose_name=_("person"),
    )
    #: Set by a reset (a temporary password): every page leads to the password change until then.
    must_change_password = models.BooleanField(_("must change password at next sign-in"), default=False)

    class Meta:
        verbose_name = _("Kengen user")
        verbose_name_plural = _("Kengen users")

    def __str__(self) -> str:
        if self.person is not None:
            return f"{self.person.full_name} ({self.username})"
        return self.username


class ApiToken(models.Model):
    """A bearer token for ``/api/v1/``. Only a SHA-256 digest is stored; the value is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class UserSession(models.Model):
    """One signed-in browser session of a user, so that all of them can be ended at once.

    Kept in step with Django's session store by the sign-in/sign-out receivers
    (``kengen.users.receivers``) and ``SessionSecurityMiddleware``; the session data itself stays
    in the configured session engine.
    """

    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_in_sessions"
    )
    created_at = models.DateTimeField(_("signed in at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sign-in session")
        verbose_name_plural = _("sign-in sessions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.session_key[:6]}… {self.created_at:%Y-%m-%d %H:%M}"


class SignInThrottle(models.Model):
    """Failed sign-ins counted per key (a username digest or a source address), with backoff.

    After ``threshold`` failures within the forget window, each further failure refuses sign-ins
    for that key for an exponentially growing delay, capped at ``max_delay`` — never a permanent
    lockout that anyone typing a victim's name could cause. Stored in the database so that every
    process and host sees the same counts.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=ThrottleKind.choices)
    key = models.CharField(_("key"), max_length=64)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    last_failure_at = models.DateTimeField(_("last failure at"), null=True, blank=True)
    locked_until = models.DateTimeField(_("refused until"), null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in throttle")
        verbose_name_plural = _("sign-in throttles")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="signinthrottle_unique_kind_key")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.key[:12]} ({self.failures})"


class RecoveryCodeDevice(ThrottlingMixin, TimestampMixin, Device):
    """A django-otp device holding a user's one-time recovery codes, stored only as digests.

    django-otp's own ``StaticDevice`` keeps its codes in clear text; these codes are secrets that
    pass a second factor, so like API tokens only their SHA-256 digest is kept (the codes are
    random with 60 bits of entropy, so a plain digest is enough). Each code works once.
    """

    class Meta(Device.Meta):
        verbose_name = _("recovery code set")
        verbose_name_plural = _("recovery code sets")

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"

    def get_throttle_factor(self) -> int:
        return int(getattr(settings, "OTP_RECOVERY_THROTTLE_FACTOR", 1))

    @staticmethod
    def normalize(code: str) -> str:
        return "".join(ch for ch in str(code).lower() if ch.isalnum())

    @classmethod
    def digest(cls, code: str) -> str:
        return hashlib.sha256(cls.normalize(code).encode()).hexdigest()

    def verify_token(self, token: str) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        match = self.codes.filter(digest=self.digest(token), used_at__isnull=True).first()
        if match is None:
            self.throttle_increment(commit=True)
            return False
        now = timezone.now()
        RecoveryCode.objects.filter(pk=match.pk).update(used_at=now)
        self.throttle_reset(commit=False)
        self.set_last_used_timestamp(commit=False)
        self.save()
        return True

    @property
    def remaining(self) -> int:
        return self.codes.filter(used_at__isnull=True).count()


class RecoveryCode(models.Model):
    """One recovery code of a ``RecoveryCodeDevice``: its digest and when it was used."""

    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="recoverycode_unique_digest")
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {'used' if self.used_at else 'unused'}"
