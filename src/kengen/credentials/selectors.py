"""Reads shared by the credential services, views and API."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, CharField, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone, translation

from kengen.credentials.choices import CredentialMode, CredentialStatus
from kengen.credentials.models import Credential, CredentialPolicy, policy_default
from kengen.credentials.passwords import Context, romaji_variants, to_hiragana, to_katakana
from kengen.grants.models import Account
from kengen.people.models import Person
from kengen.systems.models import System
from kengen.users.models import User

POLICY_FIELDS = (
    "mode",
    "min_length",
    "max_age_days",
    "reminder_days",
    "history_count",
    "temporary_validity_days",
    "min_character_classes",
    "lockout_threshold",
)


def policy_for(system: System) -> CredentialPolicy:
    """The policy of the system on which user IDs are issued; defaults if none is configured."""
    root = system.account_system
    found = CredentialPolicy.objects.filter(system=root).first()
    if found is not None:
        return found
    return CredentialPolicy(system=root, **{name: policy_default(name) for name in POLICY_FIELDS})


def holds_verifier(system: System) -> bool:
    return policy_for(system).mode == CredentialMode.KENGEN


def _name_words(person: Person | None) -> list[str]:
    words: list[str] = []
    if person is None:
        return words
    parts = [
        (person.family_name, person.family_name_kana),
        (person.given_name, person.given_name_kana),
    ]
    for kanji, kana in parts:
        words += [kanji, kana, to_hiragana(kana), to_katakana(kana), *romaji_variants(kana)]
    family_kana, given_kana = person.family_name_kana, person.given_name_kana
    words += [
        person.family_name + person.given_name,
        family_kana + given_kana,
        *romaji_variants(family_kana + given_kana),
        *romaji_variants(given_kana + family_kana),
    ]
    return words


_SUFFIXES = ("市", "町", "村", "区")
_KANA_SUFFIXES = {"市": ("シ",), "町": ("マチ", "チョウ"), "村": ("ムラ", "ソン"), "区": ("ク",)}
_EN_GENERIC = {"city", "town", "village", "ward", "of", "the"}


def municipality_words(on: dt.date | None = None) -> list[str]:
    """The city's name as people write it: 北見市, 北見, キタミシ, kitami …"""
    from kengen.organizations.models import Organization

    on = on or timezone.localdate()
    words: list[str] = []
    for root in Organization.objects.as_of(on).filter(parent__isnull=True):
        words += [root.name]
        kana = to_katakana(root.kana or "")
        for suffix in _SUFFIXES:
            if root.name.endswith(suffix) and len(root.name) > len(suffix):
                words.append(root.name[: -len(suffix)])
                for ks in _KANA_SUFFIXES[suffix]:
                    if kana.endswith(ks):
                        kana_stem = kana[: -len(ks)]
                        words += [kana_stem, to_hiragana(kana_stem), *romaji_variants(kana_stem)]
        if kana:
            words += [kana, to_hiragana(kana), *romaji_variants(kana)]
    for lang in ("ja", "en"):
        with translation.override(lang):
            name = str(getattr(settings, "KENGEN_MUNICIPALITY_NAME", ""))
        parts = [w for w in re.split(r"\W+", name.casefold()) if w and w not in _EN_GENERIC]
        words += parts if len(parts) < len(re.split(r"\W+", name.casefold())) else [name]
    return [w for w in words if w]


def person_words(person: Person | None) -> list[str]:
    """A person's names in kanji, kana and romaji: words their passwords must not contain."""
    return [w for w in _name_words(person) if w]


def system_words(system: System) -> list[str]:
    root = system.account_system
    words = [root.name, root.code]
    if root.kana:
        words += [root.kana, *romaji_variants(root.kana)]
    return words


def context_for(account: Account) -> Context:
    """What a password for ``account`` must not contain (A8.6)."""
    words = [account.user_id, *system_words(account.system), *municipality_words()]
    words += _name_words(account.person)
    if account.holder_organization is not None:
        words.append(account.holder_organization.name)
    return Context.of(words)


@dataclass
class CredentialRow:
    """A user ID and its password state, for lists."""

    account: Account
    credential: Credential | None
    policy: CredentialPolicy
    status: str

    @property
    def due_at(self) -> dt.datetime | None:
        if self.credential is None:
            return None
        if self.credential.is_temporary:
            return self.credential.temporary_expires_at
        return self.credential.expires_at


def status_of(
    account: Account, credential: Credential | None, policy: CredentialPolicy, now: dt.datetime | None = None
) -> str:
    now = now or timezone.now()
    if credential is None:
        return CredentialStatus.NONE
    return credential.status(now=now, reminder_days=policy.reminder_days)


def credential_rows(
    accounts: QuerySet[Account] | Sequence[Account], now: dt.datetime | None = None
) -> list[CredentialRow]:
    """``accounts`` (already restricted; a queryset, or a page of one already read with its system,
    person and holding unit) with their credentials and policies, one query each."""
    now = now or timezone.now()
    if isinstance(accounts, QuerySet) and not accounts.query.is_sliced:
        accounts = accounts.select_related("system", "person", "holder_organization")
    listed = list(accounts)
    creds = {c.account_id: c for c in Credential.objects.filter(account__in=listed)}
    policies: dict[int, CredentialPolicy] = {}
    rows = []
    for a in listed:
        policy = policies.get(a.system_id)
        if policy is None:
            policy = policies[a.system_id] = policy_for(a.system)
        cred = creds.get(a.pk)
        rows.append(
            CredentialRow(account=a, credential=cred, policy=policy, status=status_of(a, cred, policy, now))
        )
    return rows


def with_password_status(accounts: QuerySet[Account], now: dt.datetime | None = None) -> QuerySet[Account]:
    """``accounts`` annotated with ``password_status``: ``Credential.status`` (and ``status_of``)
    computed by the database, so that a list filters by it and pages in SQL instead of building
    every row in Python (CONVENTIONS 14). The policy's reminder days come from the account
    system's policy row, or the default; the same order of cases as ``Credential.status``."""
    now = now or timezone.now()
    default_days = int(policy_default("reminder_days"))
    reminder = Coalesce(
        Subquery(
            CredentialPolicy.objects.filter(system_id=OuterRef("password_policy_system")).values(
                "reminder_days"
            )[:1]
        ),
        Value(default_days),
    )
    days = {default_days, *CredentialPolicy.objects.values_list("reminder_days", flat=True).distinct()}
    c = "credential__"
    due_soon = [
        When(
            Q(password_reminder_days=d) & Q(**{f"{c}expires_at__lte": now + dt.timedelta(days=d)}),
            then=Value(CredentialStatus.DUE_SOON),
        )
        for d in sorted(days)
    ]
    root = Coalesce(F("system__parent_id"), F("system_id"))  # System.account_system
    accounts = accounts.annotate(password_policy_system=root).annotate(password_reminder_days=reminder)
    return accounts.annotate(
        password_status=Case(
            When(**{f"{c}id__isnull": True}, then=Value(CredentialStatus.NONE)),
            When(**{f"{c}locked_at__isnull": False}, then=Value(CredentialStatus.LOCKED)),
            When(
                **{f"{c}is_temporary": True, f"{c}temporary_expires_at__lte": now},
                then=Value(CredentialStatus.LOCKED),
            ),
            When(**{f"{c}is_temporary": True}, then=Value(CredentialStatus.TEMPORARY)),
            When(**{f"{c}verifier": "", f"{c}changed_at__isnull": True}, then=Value(CredentialStatus.NONE)),
            When(**{f"{c}expires_at__lte": now}, then=Value(CredentialStatus.EXPIRED)),
            *due_soon,
            default=Value(CredentialStatus.ACTIVE),
            output_field=CharField(),
        )
    )


def own_accounts(user: User, on: dt.date | None = None) -> QuerySet[Account]:
    """The user IDs the signed-in user holds today (for ``/me/passwords/``)."""
    on = on or timezone.localdate()
    person_id = getattr(user, "person_id", None)
    if not person_id:
        return Account.objects.none()
    return Account.objects.filter(person_id=person_id).as_of(on).select_related("system")
