"""The A5.3 window (how long before an appointment a network user registration counts for it) is
the city's to set: stored, used by the Form 1 check and the personnel preview, kept by the
configuration administrator in the UI and the API, loaded from the profile."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kengen.applications.models import NetworkUserRegistration
from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import PermissionDenied, RuleViolation
from kengen.people.choices import EmploymentType
from kengen.people.selectors import network_registration_window_start, personnel_policy
from kengen.people.services import personnel_policy_update
from kengen.personnel.changes import PersonnelChange
from kengen.personnel.choices import ChangeKind
from kengen.personnel.selectors import consequences_of
from kengen.roles.choices import DesignatedRoleKind
from kengen.roles.services import role_designate
from kengen.testing import START, login, staff, user_for
from kengen.users.services import api_token_create

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def conf(world):
    user = user_for(None, username="conf")
    role_designate(actor=None, user=user, role=DesignatedRoleKind.CONFIGURATOR, valid_from=START)
    return user


@pytest.mark.clause("A5.3")
def test_the_window_follows_the_citys_setting(world, conf):
    start = dt.date(2025, 4, 1)
    assert network_registration_window_start(start) == dt.date(2025, 3, 1)  # 31 days: the default
    fy = staff(world.kazei, employment_type=EmploymentType.FY_PART_TIME, valid_from=START)
    NetworkUserRegistration.objects.create(person=fy, filed_on=dt.date(2025, 2, 10), reference="R7-0")
    renewal = PersonnelChange(
        kind=ChangeKind.APPOINTMENT,
        person=fy,
        employment_type=EmploymentType.FY_PART_TIME,
        appointment_to=dt.date(2026, 4, 1),
    )
    assert [p.person_id for p in consequences_of(renewal, on=start).network_registrations] == [fy.pk]
    personnel_policy_update(actor=conf, network_registration_lead_days=60)
    assert network_registration_window_start(start) == dt.date(2025, 1, 31)
    assert consequences_of(renewal, on=start).network_registrations == []
    event = AuditEvent.objects.filter(action=AuditAction.PERSONNEL_POLICY_CHANGED).latest("id")
    assert event.new == {"network_registration_lead_days": 60}


@pytest.mark.clause("A14")
def test_only_the_configurator_sets_it_and_only_sensible_values(world, conf):
    with pytest.raises(PermissionDenied):
        personnel_policy_update(actor=world.users["shokuin_head"], network_registration_lead_days=10)
    for bad in (0, 400):
        with pytest.raises(RuleViolation) as exc:
            personnel_policy_update(actor=conf, network_registration_lead_days=bad)
        assert exc.value.field == "network_registration_lead_days"
    assert personnel_policy().network_registration_lead_days == 31


@pytest.mark.clause("A14")
def test_configurator_sets_it_in_the_ui_and_the_api(client, world, conf):
    login(client, conf)
    assert reverse("configuration:policy") in client.get(reverse("configuration:index")).content.decode()
    response = client.post(reverse("configuration:policy"), {"network_registration_lead_days": 45})
    assert response.status_code == 302
    assert personnel_policy().network_registration_lead_days == 45
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=conf, name='t').raw}"}
    assert client.get("/api/v1/configuration/personnel-periods", **headers).json() == {
        "network_registration_lead_days": 45
    }
    put = client.put(
        "/api/v1/configuration/personnel-periods",
        {"network_registration_lead_days": 20},
        content_type=JSON,
        **headers,
    )
    assert put.status_code == 200 and personnel_policy().network_registration_lead_days == 20
    bad = client.put(
        "/api/v1/configuration/personnel-periods",
        {"network_registration_lead_days": 0},
        content_type=JSON,
        **headers,
    )
    assert bad.status_code == 422
    officer = {
        "HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=world.users['shokuin_head'], name='t').raw}"
    }
    assert (
        client.put(
            "/api/v1/configuration/personnel-periods",
            {"network_registration_lead_days": 5},
            content_type=JSON,
            **officer,
        ).status_code
        == 403
    )
