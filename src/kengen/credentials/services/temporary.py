"""Temporary passwords (A8.2–A8.4), the one-time reveal link to the security officer (A8.3) and
maintenance staff passwords set by the administrator (A8.8)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.era import wareki_datetime
from kengen.core.exceptions import Conflict, NotFound, RuleViolation
from kengen.core.types import Actor
from kengen.credentials.choices import CredentialEventKind
from kengen.credentials.models import (
    Credential,
    PasswordApplication,
    RevealLink,
)
from kengen.credentials.passwords import (
    character_classes,
    generate_temporary,
    new_token,
    open_temporary,
    seal_temporary,
    token_digest,
    verify_password,
)
from kengen.credentials.selectors import policy_for
from kengen.credentials.services._common import (
    TEMPORARY_PASSWORD_SYSTEMS,
    _active_account,
    _event,
    _generate_for,
    _lock_credential,
    _require_administrator,
    _reused,
    _set_password,
    _snapshot,
    _user,
)
from kengen.grants.choices import AccountKind
from kengen.grants.models import Account
from kengen.notifications.services import notification_send
from kengen.people.models import Person
from kengen.roles.selectors import security_officer_of_person


@dataclass(frozen=True)
class IssuedSecret:
    """A generated password, to be shown once to whoever may see it and then forgotten."""

    credential: Credential
    value: str = field(repr=False)


@dataclass(frozen=True)
class IssuedTemporary:
    credential: Credential
    officer: Person | None = None
    reveal_link: RevealLink | None = None
    #: Only for maintenance staff (A8.8), shown once to the administrator. For system users the
    #: value goes to the security officer through the reveal link, never to the administrator.
    value: str = field(default="", repr=False)


@sensitive_variables("value", "token")
@transaction.atomic
def temporary_password_issue(
    *,
    actor: Actor,
    account: Account,
    now: dt.datetime | None = None,
    form2: PasswordApplication | None = None,
) -> IssuedTemporary:
    """Register a temporary password for a user ID (A8.2) — generated, never chosen.

    System users (core package and intermediate server, A8.2): the security officer of the
    person is notified (A8.3) with a one-time link that shows the value once; the administrator
    never sees it. Maintenance staff (any administrator, A8.8): the value is returned once for the
    administrator to hand over. Either way it must be changed at first use (A8.4) and expires
    unused after the policy's days, locking the user ID until a new one is issued.

    ``form2``: a completed Form 2 registration for a system whose passwords Kengen holds (A8.1): the
    individual system's administrator then issues the first password the same way.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    account = (
        Account.objects.select_for_update(of=("self",)).select_related("system", "person").get(pk=account.pk)
    )
    system = account.system
    clause = "A8.8" if account.kind == AccountKind.MAINTENANCE else "A8.2"
    _require_administrator(actor, system, clause)
    if account.kind == AccountKind.VIEWING:
        raise RuleViolation(
            _("A viewing user ID gets a fresh password each time it is lent (Art. 11(4))."),
            clause="A11.4",
            field="account",
        )
    if (
        account.kind == AccountKind.PERSONAL
        and system.kind not in TEMPORARY_PASSWORD_SYSTEMS
        and form2 is None
    ):
        raise RuleViolation(
            _(
                "Temporary passwords are registered by the administrators of COKAS-R/ADⅡ and the "
                "intermediate server (Art. 8(2)). For %(system)s the user applies on Form 2 (Art. 8(1))."
            )
            % {"system": system.name},
            clause="A8.2",
            field="account",
        )
    policy = policy_for(system)
    if not policy.holds_verifier:
        raise RuleViolation(
            _(
                "The passwords of %(system)s are held by the system: register the temporary password there "
                "and record that you did."
            )
            % {"system": system.name},
            clause="A8.2",
            field="account",
        )
    _active_account(account, today)
    cred = _lock_credential(account)
    officer = None
    token = ""
    if account.kind == AccountKind.PERSONAL:
        assert account.person is not None  # personal IDs have a holder (account_holder_matches_kind)
        officer = security_officer_of_person(account.person, today)
        if officer is None:
            raise RuleViolation(
                _("%(name)s has no security officer to notify today (Art. 8(3)).")
                % {"name": account.person.full_name},
                clause="A8.3",
                field="account",
            )
        # Issue 10: the value is random (no longer derived from the token), and kept until its
        # reveal only sealed under token + server key (RevealLink.sealed, erased once used).
        token = new_token()
        for _attempt in range(50):
            value = generate_temporary(policy.min_length)
            if character_classes(value) >= policy.min_character_classes and not _reused(cred, policy, value):
                break
    else:
        value = _generate_for(cred, policy)
    _set_password(cred, policy, value, now=now, temporary=True)
    assert cred.temporary_expires_at is not None  # set by _set_password(temporary=True)
    link = None
    if officer is not None:
        RevealLink.objects.filter(credential=cred, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now, sealed=""
        )
        link = RevealLink.objects.create(
            credential=cred,
            recipient=officer,
            digest=token_digest(token),
            sealed=seal_temporary(value, token),
            created_at=now,
            expires_at=cred.temporary_expires_at,
            issued_by=_user(actor),
            length=policy.min_length,
        )
    _event(
        account,
        CredentialEventKind.TEMPORARY_ISSUED,
        actor=actor,
        now=now,
        deadline=cred.temporary_expires_at,
        note=officer.full_name if officer else "",
    )
    audit_record(
        actor=actor,
        action=AuditAction.TEMPORARY_PASSWORD_ISSUED,
        target=account,
        new={
            **_snapshot(account),
            "expires_at": cred.temporary_expires_at,
            "security_officer": officer.pk if officer else None,
            "reveal_link": link.pk if link else None,
        },
    )
    if officer is not None:
        person = account.person
        assert person is not None  # an officer is only found for personal IDs
        notification_send(
            recipients=[officer],
            clause="A8.3",
            subject=_("Temporary password registered for %(name)s") % {"name": person.full_name},
            body=_(
                "The administrator of %(system)s registered a temporary password for %(name)s (user ID "
                "%(uid)s). Open the link below to see it — it is shown once, only to you, until %(until)s. "
                "Hand it to %(name)s in person; they must change it at first use (Art. 8(4)). "
                "The password itself is not in this message (Art. 8(5))."
            )
            % {
                "system": system.name,
                "name": person.full_name,
                "uid": account.user_id,
                "until": wareki_datetime(timezone.localtime(cred.temporary_expires_at)),
            },
            target=account,
            # Issue 10: the token travels in the fragment, which browsers never send: it reaches no
            # access log; a tiny script posts it in the body (credentials/reveal.js).
            link=f"{reverse('credentials:reveal')}#{token}",
        )
        notification_send(
            recipients=[person],
            clause="A8.4",
            subject=_("A temporary password was registered for your user ID %(uid)s")
            % {"uid": account.user_id},
            body=_(
                "Your security officer will hand you the temporary password for %(system)s. Change it the "
                "first time you use it (Art. 8(4)); it expires unused on %(until)s."
            )
            % {
                "system": system.name,
                "until": wareki_datetime(timezone.localtime(cred.temporary_expires_at)),
            },
            target=account,
        )
        return IssuedTemporary(credential=cred, officer=officer, reveal_link=link)
    return IssuedTemporary(credential=cred, value=value)


def reveal_link_for(*, actor: Actor, token: str, ip_address: str | None = None) -> RevealLink:
    """The reveal link behind ``token`` if it is addressed to ``actor``; otherwise 404 (and the
    attempt is audited). Used or expired links are a ``Conflict``."""
    link = (
        RevealLink.objects.select_related(
            "credential__account__system", "credential__account__person", "recipient"
        )
        .filter(digest=token_digest(token or ""))
        .first()
    )
    person_id = getattr(actor, "person_id", None)
    if link is None or person_id is None or link.recipient_id != person_id:
        if link is not None:
            audit_record(
                actor=_user(actor),
                action=AuditAction.ACCESS_DENIED,
                target=link,
                target_label=f"credentials.reveallink:{link.pk}",
                new={"action": "reveal"},
                ip_address=ip_address,
            )
        raise NotFound(_("Not found."))
    if link.used_at is not None:
        raise Conflict(
            _(
                "This link has already been used: a temporary password is shown only once. If it was "
                "lost, ask the administrator to issue a new one."
            ),
            clause="A8.3",
        )
    if link.expires_at <= timezone.now():
        raise Conflict(
            _("This link has expired. Ask the administrator to issue a new temporary password."),
            clause="A8.3",
        )
    return link


@sensitive_variables("value", "token")
def temporary_password_reveal(
    *, actor: Actor, token: str, ip_address: str | None = None, now: dt.datetime | None = None
) -> str:
    """Show a temporary password once, to the security officer the link was sent to (A8.3)."""
    reveal_link_for(actor=actor, token=token, ip_address=ip_address)
    now = now or timezone.now()
    with transaction.atomic():
        link = RevealLink.objects.select_for_update().get(digest=token_digest(token))
        if link.used_at is not None or link.expires_at <= now:
            raise Conflict(_("This link has already been used or has expired."), clause="A8.3")
        cred = (
            Credential.objects.select_for_update()
            .select_related("account__system")
            .get(pk=link.credential_id)
        )
        try:
            value = open_temporary(link.sealed, token)  # issue 10: sealed copy, erased below
        except ValueError:
            value = ""
        if not value or not cred.is_temporary or not verify_password(value, cred.verifier):
            raise Conflict(_("This temporary password has already been changed or replaced."), clause="A8.3")
        link.used_at = now
        link.sealed = ""
        link.save(update_fields=["used_at", "sealed"])
        _event(cred.account, CredentialEventKind.TEMPORARY_REVEALED, actor=actor, now=now)
        audit_record(
            actor=actor,
            action=AuditAction.TEMPORARY_PASSWORD_REVEALED,
            target=cred.account,
            new={**_snapshot(cred.account), "reveal_link": link.pk},
            ip_address=ip_address,
        )
    return value


@sensitive_variables("value")
@transaction.atomic
def maintenance_password_set(
    *, actor: Actor, account: Account, now: dt.datetime | None = None
) -> IssuedSecret:
    """The administrator sets (generates) a maintenance staff password and hands it over (A8.8).
    It is valid until the policy's maximum age and never beyond the maintenance registration."""
    now = now or timezone.now()
    account = (
        Account.objects.select_for_update(of=("self",)).select_related("system", "person").get(pk=account.pk)
    )
    _require_administrator(actor, account.system, "A8.8")
    if account.kind != AccountKind.MAINTENANCE:
        raise RuleViolation(
            _("Only maintenance staff passwords are set by the administrator."),
            clause="A8.8",
            field="account",
        )
    policy = policy_for(account.system)
    if not policy.holds_verifier:
        raise RuleViolation(
            _("The passwords of %(system)s are held by the system.") % {"system": account.system.name},
            clause="A8.8",
            field="account",
        )
    _active_account(account, timezone.localdate(now))
    cred = _lock_credential(account)
    value = _generate_for(cred, policy)
    _set_password(cred, policy, value, now=now, temporary=False)
    _event(account, CredentialEventKind.SET_BY_ADMINISTRATOR, actor=actor, now=now, deadline=cred.expires_at)
    audit_record(
        actor=actor,
        action=AuditAction.MAINTENANCE_PASSWORD_SET,
        target=account,
        new={**_snapshot(account), "expires_at": cred.expires_at},
    )
    return IssuedSecret(credential=cred, value=value)
