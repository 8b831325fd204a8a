"""Kengen users and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict, NotFound
from kengen.users.models import ApiToken, User

TOKEN_PREFIX = "kgn_"  # noqa: S105 - a public prefix, not a secret


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    person=None,
    is_superuser: bool = False,
) -> User:
    """Create a Kengen sign-in (``password=None`` leaves it unusable until one is set)."""
    if User.objects.filter(username=username).exists():
        raise Conflict(_("The sign-in name %(name)s is already taken.") % {"name": username}, field="username")
    user = User(username=username, person=person, is_superuser=is_superuser, is_staff=is_superuser)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATED,
        target=user,
        new={"username": username, "person": person.pk if person else None, "is_superuser": is_superuser},
    )
    return user


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str  # shown once to the user, never stored or logged


@transaction.atomic
def api_token_create(*, user: User, name: str, expires_in_days: int | None = 90) -> IssuedToken:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        user=user, name=name.strip() or "API", prefix=raw[:12], digest=_digest(raw), expires_at=expires
    )
    audit_record(
        actor=user,
        action=AuditAction.API_TOKEN_CREATED,
        target=token,
        new={"name": token.name, "prefix": token.prefix, "expires_at": expires},
    )
    return IssuedToken(token=token, raw=raw)


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(id=token_id, user=user).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is not None:
        raise Conflict(_("This token is already revoked."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=user, action=AuditAction.API_TOKEN_REVOKED, target=token)
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user a bearer token belongs to, or ``None``."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(raw)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at <= now):
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
