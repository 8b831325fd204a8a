"""Kengen's own sign-in accounts and API tokens.

A Kengen user is how a person signs in to Kengen; it is not an account on a business system (those
are ``grants.Account``). Roles are never stored on the user: they are derived from the posts the
linked person holds (``kengen.roles``), apart from the few designated roles such as auditor.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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

    class Meta:
        verbose_name = _("Kengen user")
        verbose_name_plural = _("Kengen users")

    def __str__(self) -> str:
        if self.person_id:
            return f"{self.person.full_name} ({self.username})"
        return self.username


class ApiToken(models.Model):
    """A bearer token for ``/api/v1/``. Only a SHA-256 digest is stored; the value is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
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
