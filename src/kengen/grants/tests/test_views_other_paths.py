"""The UI for direct grants, revocation on transfer, deletion for breach and maintenance IDs
(A5.5–A5.9): who may open each page, what a success writes, how a refusal is shown."""

import datetime as dt

import pytest
from django.urls import reverse

from kengen import testing
from kengen.contractors.services import contractor_create
from kengen.core.era import wareki as era_wareki
from kengen.eligibility.services import eligibility_entry_create
from kengen.grants.choices import AccountKind, EndReason, GrantBasis
from kengen.grants.models import Account, Grant
from kengen.grants.services import grant_direct, maintenance_account_register
from kengen.notifications.models import Notification
from kengen.people.choices import AssignmentEndReason, PersonKind
from kengen.people.services import assignment_move, person_create
from kengen.testing import START

pytestmark = pytest.mark.django_db
D = dt.date(2024, 5, 1)


@pytest.fixture
def core(world):
    core, tax = world.core()
    eligibility_entry_create(actor=None, organization=world.shokuin, valid_from=START)  # 職員課: whole unit
    return core, tax


def _perm(tax, code="inquiry"):
    return tax.permissions.get(code=code)


def _login(client, world, key):
    """Sign in as a finished sign-in: ``kengen.testing.login`` (A9 acknowledged, second factor
    passed) where it exists, else a plain session."""
    user = world.users[key]
    sign_in = getattr(testing, "login", None)
    if sign_in is not None:
        sign_in(client, user)
    else:
        client.force_login(user)
    return client


def _direct(world, tax, *codes):
    return grant_direct(
        actor=world.users["joho_head"],
        person=world.people["jinji_clerk"],
        permissions=[_perm(tax, c) for c in codes or ("inquiry",)],
        valid_from=D,
    )


# --- Direct grant (A5.5 / A5.6) ------------------------------------------------------------------


def test_direct_grant_page_requires_sign_in(client, world, core):
    url = reverse("grants:direct") + f"?person={world.people['jinji_clerk'].pk}"
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:login"))


@pytest.mark.clause("A5.5")
def test_security_officer_cannot_open_the_direct_grant_page(client, world, core):
    _login(client, world, "shokuin_head")
    url = reverse("grants:direct") + f"?person={world.people['jinji_clerk'].pk}"
    assert client.get(url).status_code == 403
    assert (
        client.post(url, {"permissions": [_perm(core[1]).pk], "valid_from": "2024-05-01"}).status_code == 403
    )
    assert not Grant.objects.exists()


def test_direct_grant_for_an_unknown_person_is_404(client, world, core):
    _login(client, world, "joho_head")
    assert client.get(reverse("grants:direct") + "?person=999999").status_code == 404
    assert client.get(reverse("grants:direct") + "?person=abc").status_code == 404


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A5.6")
def test_core_administrator_grants_directly_from_the_page(client, world, core):
    _, tax = core
    person = world.people["jinji_clerk"]
    _login(client, world, "joho_head")
    url = reverse("grants:direct") + f"?person={person.pk}"
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "個人住民税" in body and "照会" in body  # business system → permission checkboxes
    assert person.staff_number in body  # user ID defaults to the staff number
    response = client.post(
        url,
        {
            "person": person.pk,
            "permissions": [_perm(tax).pk, _perm(tax, "update").pk],
            "valid_from": "2024-05-01",
            "last_day": "2025-03-31",
            "user_id": person.staff_number,
            "purpose": "duties",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[person.pk])
    grants = Grant.objects.filter(account__person=person)
    assert grants.count() == 2
    assert {g.basis for g in grants} == {GrantBasis.DIRECT}
    assert {g.valid_to for g in grants} == {dt.date(2025, 4, 1)}  # last day 3/31 → exclusive 4/1
    assert Notification.objects.filter(recipient=world.people["shokuin_head"], clause="A5.6").exists()


@pytest.mark.clause("A5.5")
def test_direct_grant_outside_table2_shows_the_clause_and_keeps_the_input(client, world, core):
    _, tax = core
    person = world.people["kazei_clerk"]  # 市民税課: not in Table 2
    _login(client, world, "joho_head")
    url = reverse("grants:direct") + f"?person={person.pk}"
    response = client.post(
        url,
        {
            "person": person.pk,
            "permissions": [_perm(tax).pk],
            "valid_from": "2024-05-01",
            "purpose": "training",
            "purpose_note": "新任研修",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "[A5.5]" in body
    assert 'value="新任研修"' in body  # what was typed is kept
    assert not Grant.objects.exists() and not Account.objects.exists()


# --- Revocation on transfer or retirement (A5.5) ------------------------------------------------


@pytest.mark.clause("A5.5")
def test_revocation_while_still_eligible_is_refused_naming_a5_5(client, world, core):
    core_sys, tax = core
    _direct(world, tax)
    _login(client, world, "joho_head")
    person = world.people["jinji_clerk"]
    response = client.post(
        reverse("grants:revoke_transfer"),
        {
            "person": person.pk,
            "system": core_sys.pk,
            "on": "2024-10-01",
            "reason": "transfer",
        },
    )
    assert response.status_code == 200
    assert "[A5.5]" in response.content.decode()
    assert not Grant.objects.filter(ended_at__isnull=False).exists()


@pytest.mark.clause("A5.5")
def test_administrator_revokes_direct_grants_after_a_transfer(client, world, core):
    core_sys, tax = core
    (g,) = _direct(world, tax)
    person = world.people["jinji_clerk"]
    moved_on = dt.date(2024, 10, 1)
    assignment_move(
        actor=None,
        assignment=person.assignments.get(),
        organization=world.kazei,
        on=moved_on,
        reason=AssignmentEndReason.TRANSFER,
    )
    _login(client, world, "joho_head")
    page = client.get(reverse("grants:revoke_transfer") + f"?person={person.pk}")
    assert page.status_code == 200
    response = client.post(
        reverse("grants:revoke_transfer"),
        {
            "person": person.pk,
            "system": core_sys.pk,
            "on": "2024-10-01",
            "reason": "transfer",
        },
    )
    assert response.status_code == 302
    g.refresh_from_db()
    assert g.valid_to == moved_on and g.end_reason == EndReason.TRANSFER


@pytest.mark.clause("A5.5")
def test_officer_cannot_revoke_directly(client, world, core):
    core_sys, tax = core
    _direct(world, tax)
    _login(client, world, "shokuin_head")
    response = client.post(
        reverse("grants:revoke_transfer"),
        {
            "person": world.people["jinji_clerk"].pk,
            "system": core_sys.pk,
            "on": "2024-10-01",
            "reason": "transfer",
        },
    )
    assert response.status_code == 403


# --- Deletion for breach (A5.7 / A5.8) ----------------------------------------------------------


def test_breach_page_requires_sign_in(client, world, core):
    (g,) = _direct(world, core[1])
    response = client.get(reverse("grants:breach", args=[g.account_id]))
    assert response.status_code == 302


@pytest.mark.clause("A5.7")
def test_breach_deletion_asks_for_confirmation_then_ends_the_id_and_notifies(client, world, core):
    inquiry, _update = _direct(world, core[1], "inquiry", "update")
    account = inquiry.account
    _login(client, world, "joho_head")
    url = reverse("grants:breach", args=[account.pk])
    assert client.get(url).status_code == 200
    data = {"what": "id", "reason": "業務外の照会", "on": "2024-07-01"}
    check = client.post(url, data)
    body = check.content.decode()
    assert check.status_code == 200
    assert 'name="confirm"' in body and "業務外の照会" in body
    assert not Grant.objects.filter(ended_at__isnull=False).exists()  # nothing done before confirming
    done = client.post(url, {**data, "confirm": "1"})
    assert done.status_code == 302
    account.refresh_from_db()
    assert account.valid_to == dt.date(2024, 7, 1) and account.end_reason == EndReason.BREACH
    assert set(Grant.objects.values_list("end_reason", flat=True)) == {EndReason.BREACH}
    note = Notification.objects.get(recipient=world.people["shokuin_head"], clause="A5.8")
    assert "業務外の照会" in note.body


@pytest.mark.clause("A5.7")
def test_breach_deletion_of_chosen_permissions_keeps_the_id(client, world, core):
    inquiry, update = _direct(world, core[1], "inquiry", "update")
    _login(client, world, "joho_head")
    url = reverse("grants:breach", args=[inquiry.account_id])
    data = {"what": "permissions", "grants": [update.pk], "reason": "更新権限の濫用", "on": "2024-07-01"}
    assert client.post(url, {**data, "confirm": "1"}).status_code == 302
    inquiry.refresh_from_db()
    update.refresh_from_db()
    assert update.end_reason == EndReason.BREACH and inquiry.ended_at is None
    assert Account.objects.get().valid_to is None


@pytest.mark.clause("A5.7")
def test_breach_deletion_without_a_reason_or_a_choice_is_refused(client, world, core):
    (g,) = _direct(world, core[1])
    _login(client, world, "joho_head")
    url = reverse("grants:breach", args=[g.account_id])
    response = client.post(url, {"what": "permissions", "reason": "  ", "on": "2024-07-01", "confirm": "1"})
    assert response.status_code == 200
    form = response.context["form"]
    assert "reason" in form.errors and "grants" in form.errors
    assert not Grant.objects.filter(ended_at__isnull=False).exists()


@pytest.mark.clause("A5.7")
@pytest.mark.clause("A4")
def test_only_the_systems_administrator_deletes_for_breach(client, world, core):
    (g,) = _direct(world, core[1])
    url = reverse("grants:breach", args=[g.account_id])
    _login(client, world, "shokuin_head")  # sees the account (their clerk) but does not administer COKAS
    assert client.get(url).status_code == 403
    assert (
        client.post(url, {"what": "id", "reason": "x", "on": "2024-07-01", "confirm": "1"}).status_code == 403
    )
    _login(client, world, "shiminzei_head")  # another organization's person: not found
    assert client.get(url).status_code == 404
    assert Account.objects.get().valid_to is None


# --- Maintenance staff IDs (A5.9) ---------------------------------------------------------------


def test_maintenance_pages_require_sign_in(client, world):
    for name in ("grants:maintenance", "grants:maintenance_new"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("users:login"))


@pytest.mark.clause("A5.9")
def test_maintenance_pages_are_for_administrators(client, world, core):
    _login(client, world, "shiminzei_head")  # security officer, administers nothing
    assert client.get(reverse("grants:maintenance")).status_code == 403
    assert client.get(reverse("grants:maintenance_new")).status_code == 403


@pytest.mark.clause("A5.9")
def test_administrator_registers_lists_and_deletes_a_maintenance_id(client, world, core, maintainer):
    core_sys, tax = core
    _login(client, world, "joho_head")
    page = client.get(reverse("grants:maintenance_new") + f"?system={core_sys.pk}")
    assert page.status_code == 200
    assert "保守 一郎" in page.content.decode() and "北見システム保守株式会社" in page.content.decode()
    response = client.post(
        reverse("grants:maintenance_new"),
        {
            "system": core_sys.pk,
            "person": maintainer.pk,
            "user_id": "m001",
            "permissions": [_perm(tax).pk],
            "valid_from": "2024-05-01",
            "last_day": "2025-03-31",
            "note": "保守契約R6-12",
        },
    )
    assert response.status_code == 302
    account = Account.objects.get(user_id="m001")
    assert account.kind == AccountKind.MAINTENANCE and account.person == maintainer
    (g,) = account.grants.all()
    assert g.valid_to == dt.date(2025, 4, 1) and g.basis == GrantBasis.MAINTENANCE
    listing = client.get(reverse("grants:maintenance"), {"status": "all"}).content.decode()
    assert "m001" in listing and "保守 一郎" in listing
    end_url = reverse("grants:account_end", args=[account.pk])
    assert client.get(end_url).status_code == 200
    assert client.post(end_url, {"on": "2024-09-01", "reason": "cancelled"}).status_code == 302
    account.refresh_from_db()
    g.refresh_from_db()
    assert account.valid_to == dt.date(2024, 9, 1) and g.end_reason == EndReason.ACCOUNT_ENDED


@pytest.mark.clause("A5.9")
def test_maintenance_id_needs_an_end(client, world, core, maintainer):
    core_sys, tax = core
    _login(client, world, "joho_head")
    response = client.post(
        reverse("grants:maintenance_new"),
        {
            "system": core_sys.pk,
            "person": maintainer.pk,
            "user_id": "m001",
            "permissions": [_perm(tax).pk],
            "valid_from": "2024-05-01",
        },
    )
    assert response.status_code == 200
    assert "last_day" in response.context["form"].errors
    assert not Account.objects.exists()


@pytest.mark.clause("A2.6")
def test_maintenance_registration_refusal_shows_the_clause(client, world, core, maintainer):
    core_sys, tax = core
    maintenance_account_register(
        actor=world.users["joho_head"],
        person=maintainer,
        system=core_sys,
        user_id="m001",
        permissions=[_perm(tax)],
        valid_from=D,
        valid_to=dt.date(2024, 10, 1),
    )
    _login(client, world, "joho_head")
    response = client.post(
        reverse("grants:maintenance_new"),
        {  # longer than the ID that exists
            "system": core_sys.pk,
            "person": maintainer.pk,
            "user_id": "m001",
            "permissions": [_perm(tax, "update").pk],
            "valid_from": "2024-05-01",
            "last_day": "2025-03-31",
        },
    )
    assert response.status_code == 200
    assert "[A2.6]" in response.content.decode()
    assert Grant.objects.count() == 1


@pytest.mark.clause("A4")
def test_another_administrator_cannot_end_a_maintenance_id_they_do_not_administer(
    client, world, core, maintainer
):
    core_sys, tax = core
    (g,) = maintenance_account_register(
        actor=world.users["joho_head"],
        person=maintainer,
        system=core_sys,
        user_id="m001",
        permissions=[_perm(tax)],
        valid_from=D,
        valid_to=dt.date(2025, 4, 1),
    )
    world.system("HR", "人事給与システム", owner=world.shokuin)  # 職員課長 administers HR only
    _login(client, world, "shokuin_head")
    assert client.get(reverse("grants:maintenance")).status_code == 200
    assert "m001" not in client.get(reverse("grants:maintenance")).content.decode()
    assert (
        client.post(
            reverse("grants:account_end", args=[g.account_id]), {"on": "2024-09-01", "reason": "cancelled"}
        ).status_code
        == 404
    )
    assert Account.objects.get().valid_to == dt.date(2025, 4, 1)


# --- The person page offers the actions to those who may take them --------------------------------


@pytest.mark.clause("A5.5")
@pytest.mark.clause("A5.7")
def test_person_page_shows_the_administrators_actions_only_to_them(client, world, core):
    (g,) = _direct(world, core[1])
    person = world.people["jinji_clerk"]
    _login(client, world, "joho_head")
    body = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert reverse("grants:direct") + f"?person={person.pk}" in body
    assert reverse("grants:revoke_transfer") in body
    assert reverse("grants:breach", args=[g.account_id]) in body
    _login(client, world, "shokuin_head")
    body = client.get(reverse("people:detail", args=[person.pk])).content.decode()
    assert reverse("grants:direct") not in body
    assert reverse("grants:breach", args=[g.account_id]) not in body


@pytest.mark.clause("A5.9")
@pytest.mark.clause("A8.8")
def test_maintenance_staff_on_no_contract_are_not_offered_and_refused_with_the_reason(
    client, world, core, maintainer
):
    from django.utils import timezone

    from kengen.grants.forms import MaintenanceAccountForm
    from kengen.outsourcing.models import Contract

    core_sys, tax = core
    stray = person_create(
        actor=None,
        kind=PersonKind.MAINTENANCE,
        contractor=contractor_create(actor=None, name="契約のない保守会社"),
        family_name="無契約",
        given_name="太郎",
        family_name_kana="ムケイヤク",
        given_name_kana="タロウ",
    )
    _login(client, world, "joho_head")
    page = client.get(reverse("grants:maintenance_new") + f"?system={core_sys.pk}")
    contract = Contract.objects.get()
    offered = dict(page.context["form"].fields["person"].choices)
    assert set(offered) == {"", maintainer.pk}  # the contract's staff only
    label = offered[maintainer.pk]
    assert "保守 一郎" in label and contract.title in label
    assert era_wareki(contract.valid_to - dt.timedelta(days=1)) in label
    assert timezone.localdate() < contract.valid_to
    response = client.post(
        reverse("grants:maintenance_new"),
        {
            "system": core_sys.pk,
            "person": stray.pk,
            "user_id": "m009",
            "permissions": [_perm(tax).pk],
            "valid_from": "2024-05-01",
            "last_day": "2025-03-31",
        },
    )
    assert response.status_code == 200
    assert "person" in response.context["form"].errors
    refusal = MaintenanceAccountForm.base_fields["person"].error_messages["invalid_choice"]
    assert response.context["form"].errors["person"] == [str(refusal)]
    assert not Account.objects.filter(person=stray).exists()


@pytest.mark.clause("A5.9")
@pytest.mark.clause("A8.8")
def test_maintenance_page_says_when_nobody_is_eligible_and_links_to_the_contract(
    client, world, core, maintainer
):
    from kengen.outsourcing import services as out
    from kengen.outsourcing.models import Contract

    core_sys, _tax = core
    contract = Contract.objects.get()
    out.contract_end(actor=world.users["joho_head"], contract=contract, on=START + dt.timedelta(days=1))
    _login(client, world, "joho_head")
    page = client.get(reverse("grants:maintenance_new") + f"?system={core_sys.pk}")
    assert page.context["has_people"] is False
    assert dict(page.context["form"].fields["person"].choices) == {"": "—"}
    body = page.content.decode()
    assert reverse("outsourcing:contract_list") in body  # no active contract: the register

    second = testing.maintenance_contract(
        maintainer,
        [core_sys],
        organization=world.joho,
        officer=world.users["joho_head"],
        it_head=world.users["joho_head"],
    )
    second.staff.all().delete()  # an active contract with nobody on its staff yet
    page = client.get(reverse("grants:maintenance_new") + f"?system={core_sys.pk}")
    assert page.context["has_people"] is False
    assert reverse("outsourcing:contract_detail", args=[second.pk]) + "#staff" in page.content.decode()
