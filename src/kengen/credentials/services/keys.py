"""System API keys: what a system presents to the verify API. Only a digest is stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.exceptions import Conflict
from kengen.core.types import Actor
from kengen.credentials.cache import mark_unchecked, verify_cache, verify_data_version
from kengen.credentials.models import SystemApiKey
from kengen.credentials.passwords import (
    new_token,
    token_digest,
)
from kengen.credentials.services._common import (
    _require_administrator,
    _user,
)
from kengen.systems.models import System

API_KEY_PREFIX = "kgs_"


@dataclass(frozen=True)
class IssuedKey:
    key: SystemApiKey
    raw: str = field(repr=False)


@sensitive_variables("raw")
@transaction.atomic
def system_api_key_create(*, actor: Actor, system: System, name: str) -> IssuedKey:
    """A key for ``system`` to call the verify API; created by its administrator, shown once."""
    root = system.account_system
    _require_administrator(actor, root, "A3.1")
    raw = API_KEY_PREFIX + new_token()
    key = SystemApiKey.objects.create(
        system=root,
        name=name.strip()[:100] or root.code,
        prefix=raw[:12],
        digest=token_digest(raw),
        created_by=_user(actor),
    )
    audit_record(
        actor=actor,
        action=AuditAction.SYSTEM_API_KEY_CREATED,
        target=key,
        new={"system": root.code, "name": key.name, "prefix": key.prefix},
    )
    return IssuedKey(key=key, raw=raw)


@transaction.atomic
def system_api_key_revoke(*, actor: Actor, key: SystemApiKey) -> SystemApiKey:
    key = SystemApiKey.objects.select_for_update().select_related("system").get(pk=key.pk)
    _require_administrator(actor, key.system, "A3.1")
    if key.revoked_at is not None:
        raise Conflict(_("This key is already revoked."))
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        action=AuditAction.SYSTEM_API_KEY_REVOKED,
        target=key,
        new={"system": key.system.code, "prefix": key.prefix},
    )
    return key


def system_api_key_authenticate(raw: str, *, checked_later: bool = False) -> SystemApiKey | None:
    """The live key ``raw`` is, or ``None``. Keys are cached per process under the verify data
    version (``credentials.cache``): the version is read first, or, with ``checked_later`` (the
    verify hot path), the key is marked so that ``password_verify`` refuses it
    (``StaleVerifyCache``) unless its own statement finds the same version."""
    if not raw or not raw.startswith(API_KEY_PREFIX):
        return None
    digest = token_digest(raw)
    key: SystemApiKey | None = None
    hit = verify_cache.key(digest) if checked_later and not connection.in_atomic_block else None
    if hit is not None:
        key, cached_at = hit
        mark_unchecked(key, cached_at)
    else:
        version = verify_data_version()
        hit = verify_cache.key(digest) if version is not None else None
        if hit is not None and hit[1] == version:
            key = hit[0]
        else:
            key = SystemApiKey.objects.select_related("system__parent").filter(digest=digest).first()
            if key is None or key.revoked_at is not None:
                return None
            if version is not None:
                verify_cache.store_key(version, digest, key)
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=5):
        SystemApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
        verify_cache.touch_key(digest, key)
    return key
