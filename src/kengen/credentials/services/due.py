"""What falls due (run by ``kengen run-due``): expired temporary passwords (A8.4), reminders and
overdue changes (A8.7, A8.8)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.era import wareki_datetime
from kengen.credentials.choices import CredentialEventKind
from kengen.credentials.models import (
    Credential,
    CredentialPolicy,
    VerifyThrottle,
)
from kengen.credentials.selectors import policy_for
from kengen.credentials.services._common import (
    _event,
    _expire_temporary_if_due,
    _snapshot,
)
from kengen.credentials.services.form2 import requires_officer
from kengen.grants.choices import AccountKind
from kengen.notifications.services import notification_send
from kengen.roles.selectors import administrators_of, security_officer_of_person


def _notify_due(cred: Credential, policy: CredentialPolicy, subject: str, body: str, clause: str) -> None:
    account = cred.account
    today = timezone.localdate()
    if account.kind == AccountKind.PERSONAL and account.person is not None:
        recipients = [account.person]
        link = reverse("credentials:mine") if policy.holds_verifier else reverse("credentials:form2_new")
        if not policy.holds_verifier and requires_officer(account.person, today):
            officer = security_officer_of_person(account.person, today)
            if officer is not None:  # A8.1: the officer applies for them
                recipients.append(officer)
    elif account.kind == AccountKind.MAINTENANCE:
        recipients = list(administrators_of(account.system, today))
        link = reverse("credentials:account", args=[account.pk])
    else:
        return
    notification_send(
        recipients=recipients, clause=clause, subject=subject, body=body, target=account, link=link
    )


def expire_temporary_passwords(now: dt.datetime) -> int:
    """A8.4: temporary passwords not changed in time lock their user ID until a new one is issued."""
    done = 0
    ids = Credential.objects.filter(is_temporary=True, temporary_expires_at__lte=now, locked_at__isnull=True)
    for cid in list(ids.values_list("id", flat=True)):
        with transaction.atomic():
            cred = (
                Credential.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("account__system", "account__person")
                .filter(pk=cid)
                .first()
            )
            if cred is None or not _expire_temporary_if_due(cred, now=now, actor_label="kengen run-due"):
                continue
            account = cred.account
            who = account.person.full_name if account.person else account.user_id
            recipients = list(administrators_of(account.system, timezone.localdate(now)))
            if account.kind == AccountKind.PERSONAL and account.person is not None:
                officer = security_officer_of_person(account.person, timezone.localdate(now))
                recipients += [officer, account.person] if officer else [account.person]
            notification_send(
                recipients=recipients,
                clause="A8.4",
                subject=_("Temporary password of %(who)s expired unused") % {"who": who},
                body=_(
                    "The temporary password for user ID %(uid)s on %(system)s was not changed in time and is "
                    "now locked. The administrator issues a new one."
                )
                % {"uid": account.user_id, "system": account.system.name},
                target=account,
                link=reverse("credentials:account", args=[account.pk]),
            )
            done += 1
    return done


def remind_password_changes(now: dt.datetime) -> int:
    """A8.7: remind holders (maintenance staff: the administrators) before a change falls due."""
    horizon = max(
        [policy_default_reminder(), *CredentialPolicy.objects.values_list("reminder_days", flat=True)]
    )
    candidates = Credential.objects.filter(
        is_temporary=False,
        locked_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + dt.timedelta(days=horizon),
    ).exclude(account__kind=AccountKind.VIEWING)
    done = 0
    for cid in list(candidates.values_list("id", flat=True)):
        with transaction.atomic():
            cred = (
                Credential.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("account__system", "account__person")
                .filter(pk=cid)
                .first()
            )
            if cred is None or cred.expires_at is None or cred.reminded_for == cred.expires_at:
                continue
            policy = policy_for(cred.account.system)
            if cred.expires_at - dt.timedelta(days=policy.reminder_days) > now:
                continue
            if not cred.account.is_active_on(timezone.localdate(now)):
                continue
            cred.reminded_for = cred.expires_at
            cred.save(update_fields=["reminded_for", "updated_at"])
            _event(
                cred.account,
                CredentialEventKind.REMINDED,
                actor=None,
                now=now,
                deadline=cred.expires_at,
                actor_label="kengen run-due",
            )
            due = wareki_datetime(timezone.localtime(cred.expires_at))
            how = (
                _("Change it on the “My passwords” page.")
                if policy.holds_verifier
                else _("Change it in the system, applying on Form 2 where required (Art. 8(1)).")
            )
            _notify_due(
                cred,
                policy,
                _("Password change due by %(date)s: %(uid)s") % {"date": due, "uid": cred.account.user_id},
                _(
                    "The password of user ID %(uid)s on %(system)s must be changed by %(date)s (Art. 8(7)). %(how)s"
                )
                % {"uid": cred.account.user_id, "system": cred.account.system.name, "date": due, "how": how},
                "A8.7",
            )
            done += 1
    return done


def policy_default_reminder() -> int:
    from kengen.credentials.models import policy_default

    return int(policy_default("reminder_days"))


def record_due_passwords(now: dt.datetime) -> int:
    """A8.7/A8.8: passwords past their deadline are recorded as due (once per deadline)."""
    done = 0
    candidates = Credential.objects.filter(is_temporary=False, expires_at__lte=now).exclude(
        account__kind=AccountKind.VIEWING
    )
    for cid in list(candidates.values_list("id", flat=True)):
        with transaction.atomic():
            cred = (
                Credential.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("account__system", "account__person")
                .filter(pk=cid)
                .first()
            )
            if cred is None or cred.expires_at is None or cred.due_recorded_for == cred.expires_at:
                continue
            cred.due_recorded_for = cred.expires_at
            cred.save(update_fields=["due_recorded_for", "updated_at"])
            _event(
                cred.account,
                CredentialEventKind.DUE,
                actor=None,
                now=now,
                deadline=cred.expires_at,
                actor_label="kengen run-due",
            )
            audit_record(
                actor=None,
                actor_label="kengen run-due",
                action=AuditAction.PASSWORD_DUE,
                target=cred.account,
                new={**_snapshot(cred.account), "deadline": cred.expires_at},
            )
            policy = policy_for(cred.account.system)
            if cred.account.is_active_on(timezone.localdate(now)):
                _notify_due(
                    cred,
                    policy,
                    _("Password change overdue: %(uid)s") % {"uid": cred.account.user_id},
                    _(
                        "The password of user ID %(uid)s on %(system)s was due to be changed by %(date)s "
                        "(Art. 8(7)). Until it is changed, sign-ins answer “expired”."
                    )
                    % {
                        "uid": cred.account.user_id,
                        "system": cred.account.system.name,
                        "date": wareki_datetime(timezone.localtime(cred.expires_at)),
                    },
                    "A8.7",
                )
            done += 1
    return done


def credentials_run_due(*, now: dt.datetime) -> dict[str, int]:
    summary = {
        "temporary_expired": expire_temporary_passwords(now),
        "password_reminders": remind_password_changes(now),
        "passwords_due": record_due_passwords(now),
    }
    VerifyThrottle.objects.filter(window_start__lt=now - dt.timedelta(days=1)).delete()
    return summary
