"""Loading only a profile's regulation tables, and the refusals of the loader."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, NotFound, RuleViolation
from kengen.eligibility.models import EligibilityEntry
from kengen.organizations.models import Organization, Post
from kengen.organizations.services import OrganizationSpec, organization_create
from kengen.people.models import Person
from kengen.profiles import kitami
from kengen.profiles.services import post_create, profile_load
from kengen.systems.models import System
from kengen.users.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.clause("A14")
@pytest.mark.clause("AS")
def test_tables_only_load_has_no_people_accounts_or_sign_ins():
    summary = profile_load(name="kitami", demo_staff=False, today=dt.date(2026, 11, 25))
    assert summary.people == summary.accounts == summary.users == 0
    assert summary.table2_entries == EligibilityEntry.objects.count() == len(kitami.TABLE2)
    assert summary.posts == Post.objects.count() == len(kitami.POSTS)
    assert summary.systems == System.objects.count() == 1 + len(kitami.BUSINESS_SYSTEMS) + len(kitami.SYSTEMS)
    assert not Person.objects.exists() and not User.objects.exists()
    assert set(Organization.objects.values_list("valid_from", flat=True)) == {kitami.EFFECTIVE}
    assert Organization.objects.get(kind="city").name == "北見市"
    assert all(o.kana for o in Organization.objects.all())


def test_profile_load_command_loads_the_tables_without_staff_by_default():
    out = io.StringIO()
    with translation.override("en"):
        call_command("profile_load", "kitami", "--no-demo-staff", stdout=out)
    assert "39 Table 2 entries" in out.getvalue()
    assert not Person.objects.exists()
    with pytest.raises(CommandError):
        call_command("profile_load", "kitami", stdout=io.StringIO())


def test_a_profile_loads_only_into_an_empty_database():
    organization_create(
        actor=None,
        spec=OrganizationSpec(code="X", name="某市", kind="city"),
        valid_from=dt.date(2024, 4, 1),
    )
    with pytest.raises(Conflict):
        profile_load(name="kitami", demo_staff=False)
    assert Organization.objects.count() == 1


def test_demo_staff_cannot_start_before_the_profile_takes_effect():
    with pytest.raises(RuleViolation):
        profile_load(name="kitami", today=dt.date(2024, 3, 31))
    assert not Organization.objects.exists()


def test_an_unknown_profile_is_refused():
    with pytest.raises(NotFound):
        profile_load(name="atlantis")


def test_post_create_records_an_audit_event_and_refuses_a_duplicate_code():
    post = post_create(actor=None, code="kacho", name="課長", kana="カチョウ", is_head=True, rank=30)
    event = AuditEvent.objects.get(action=AuditAction.POST_CREATED)
    assert event.target_id == str(post.pk)
    assert event.new["is_head"] is True
    with pytest.raises(Conflict):
        post_create(actor=None, code="kacho", name="課長")
