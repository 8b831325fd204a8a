"""The Kitami profile, loaded once for the module (tables and demo staff) and rolled back after.

The expected lines of 別表第1 and 別表第2 are copied from the regulation
(北見市行政情報システムの管理運用に関する取扱要領, as amended by
令和6年3月8日内規第50号): these tests pin the regulation's text, so a change to the data that
no longer renders it fails here.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import translation

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.audit.services import audit_verify
from kengen.core.dates import fiscal_year_period as fiscal_year_of
from kengen.core.exceptions import Conflict
from kengen.eligibility.models import EligibilityEntry
from kengen.eligibility.selectors import direct_grant_eligibility, render_entry, table2_as_of
from kengen.grants.models import Account, Grant
from kengen.organizations.models import Organization
from kengen.organizations.selectors import OrgTree
from kengen.people.choices import EmploymentType, PersonKind
from kengen.people.models import Appointment, Assignment, Person
from kengen.profiles import kitami
from kengen.profiles.demo_staff import plan_staff
from kengen.profiles.selectors import profile_load_event
from kengen.profiles.services import profile_load
from kengen.roles.choices import Role
from kengen.roles.selectors import heads_of, scope_for
from kengen.systems.models import System
from kengen.users.models import User

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 25)  # fiscal year 2026-04-01 .. 2027-04-01 (exclusive)
EFFECTIVE = dt.date(2024, 4, 1)  # 令和6年4月1日

#: 別表第1 (第2条関係), as printed.
TABLE1 = [
    "宛名管理",
    "個人住民税",
    "軽自動車税",
    "法人住民税",
    "固定資産税",
    "収納",
    "住民基本台帳",
    "印鑑登録",
    "国民年金",
    "国民健康保険料",
    "後期高齢者医療保険料",
    "介護保険料",
    "選挙",
]

#: 別表第2 (第5条関係), as printed: 39 lines.
TABLE2 = [
    "企画財政部DX推進室情報システム課",
    "総務部職員課(人事係及び給与係に限る。)",
    "総務部市民税課",
    "総務部資産税課",
    "総務部納税課",
    "市民環境部戸籍住民課(やすらぎ苑係を除く。)",
    "市民環境部窓口課",
    "市民環境部環境課(生活環境係に限る。)",
    "市民環境部相内支所",
    "市民環境部上常呂出張所",
    "市民環境部仁頃出張所",
    "市民環境部東相内出張所",
    "保健福祉部総務課(指導第1係及び指導第2係を除く。)",
    "保健福祉部障がい福祉課",
    "保健福祉部介護福祉課(地域支援係を除く。)",
    "保健福祉部保護課",
    "保健福祉部国保医療課",
    "子ども未来部子ども支援課",
    "子ども未来部保育課",
    "子ども未来部保育施設課(管理係に限る。)",
    "都市建設部公営住宅管理課",
    "会計課(出納係に限る。)",
    "端野総合支所総務課(税務管財係に限る。)",
    "端野総合支所市民環境課(市民活動係を除く。)",
    "端野総合支所保健福祉課(地域福祉係に限る。)",
    "常呂総合支所総務課(税務管財係に限る。)",
    "常呂総合支所市民環境課(市民活動係を除く。)",
    "常呂総合支所保健福祉課(地域福祉係に限る。)",
    "留辺蘂総合支所総務課(税務管財係に限る。)",
    "留辺蘂総合支所市民環境課(市民活動係を除く。)",
    "留辺蘂総合支所保健福祉課(地域福祉係に限る。)",
    "留辺蘂総合支所温根湯温泉支所",
    "学校教育部総務課(施設係に限る。)",
    "学校教育部学校教育課",
    "学校教育部学校給食課(総務係に限る。)",
    "学校教育部北見市学校給食センター",
    "端野教育事務所総務課",
    "第一農業委員会事務局農地課",
    "第二農業委員会事務局農地課",
]


@pytest.fixture(scope="module")
def kitami_loaded(django_db_setup, django_db_blocker):
    """Load the profile once for the module inside a transaction that is rolled back at the end
    (the audit log is append-only, so it cannot be flushed); each test runs in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            yield profile_load(name="kitami", today=TODAY)
        finally:
            transaction.set_rollback(True)


def _person_in(code: str, *, fiscal_year: bool) -> Person:
    org = Organization.objects.get(code=code)
    types = EmploymentType.fiscal_year() if fiscal_year else {EmploymentType.REGULAR}
    person = (
        Person.objects.filter(assignments__organization=org, appointments__employment_type__in=types)
        .order_by("staff_number")
        .first()
    )
    assert person is not None, code
    return person


def test_loading_writes_the_tables_and_demo_staff_with_one_audit_event(kitami_loaded):
    s = kitami_loaded
    assert (s.profile, s.demo_staff, s.effective) == ("kitami", True, EFFECTIVE)
    assert s.organizations == Organization.objects.count() > 150
    assert s.table2_entries == EligibilityEntry.objects.count() == len(TABLE2)
    assert s.people == Person.objects.filter(kind=PersonKind.STAFF).count() > 300
    assert s.maintenance_staff == Person.objects.filter(kind=PersonKind.MAINTENANCE).count() > 0
    assert s.accounts == Account.objects.count() and s.grants == Grant.objects.count()
    assert 0.15 <= s.fiscal_year_appointees / s.people <= 0.3
    assert AuditEvent.objects.filter(action=AuditAction.PROFILE_LOADED).count() == 1
    assert profile_load_event("kitami").new["people"] == s.people
    assert audit_verify().ok


@pytest.mark.clause("A5.5")
@pytest.mark.clause("AS")
def test_every_table2_line_renders_exactly_as_the_regulation_prints_it(kitami_loaded):
    tree = OrgTree(EFFECTIVE)
    entries = list(table2_as_of(EFFECTIVE).order_by("sort_order"))
    assert [render_entry(e, tree) for e in entries] == TABLE2
    assert [e.listed_as for e in entries] == TABLE2
    assert {e.source for e in entries} == {"令和6年3月8日内規第50号"}
    assert not table2_as_of(EFFECTIVE - dt.timedelta(days=1)).exists()  # in force from 令和6年4月1日


#: (unit code, fiscal-year appointee?, eligible for a direct grant?) - what the qualifiers mean.
ELIGIBILITY_CASES = [
    ("D01-K02-S01", False, True),  # 職員課人事係: 「人事係及び給与係に限る」
    ("D01-K02-S03", False, False),  # 職員課厚生係: not named
    ("D03-K02-S01", False, True),  # 戸籍住民課戸籍係
    ("D03-K02-S03", False, False),  # 戸籍住民課やすらぎ苑係: 「やすらぎ苑係を除く」
    ("D04-K01-S01", False, True),  # 保健福祉部総務課総務係
    ("D04-K01-S02", False, False),  # 指導第1係: excluded
    ("D04-K01-S03", False, False),  # 指導第2係: excluded
    ("D01-K01-S01", False, False),  # 総務部総務課: not in 別表第2
    ("D03-K03-S01", True, False),  # 窓口課, but a fiscal-year appointee
]


@pytest.mark.clause("A5.5")
def test_table2_qualifiers_decide_direct_grant_eligibility(kitami_loaded):
    for code, fiscal_year, eligible in ELIGIBILITY_CASES:
        person = _person_in(code, fiscal_year=fiscal_year)
        assert bool(direct_grant_eligibility(person, TODAY)) is eligible, code


@pytest.mark.clause("A2.1")
def test_the_13_business_systems_of_table1_exist_in_order_under_the_core_package(kitami_loaded):
    core = System.objects.get(code="COKAS")
    assert (core.name, core.kind, core.handles_specific_personal_info) == (
        "COKAS-R/ADⅡ",
        "core",
        True,
    )
    assert not core.permissions.exists()
    business = list(core.business_systems.order_by("sort_order"))
    assert [b.name for b in business] == TABLE1
    for b in business:
        assert b.kind == "core_business"
        assert list(b.permissions.values_list("code", "name")) == [
            ("inquiry", "照会"),
            ("update", "更新"),
            ("admin", "管理"),
        ]
    assert System.objects.filter(kind="individual").count() >= 4


@pytest.mark.clause("A2.9")
@pytest.mark.clause("A2.10")
@pytest.mark.clause("A3.1")
@pytest.mark.clause("A3.2")
@pytest.mark.clause("A3.3")
def test_the_it_division_owns_the_central_systems_and_its_head_administers_them(kitami_loaded):
    it_division = Organization.objects.get(code=kitami.IT_DIVISION)
    assert OrgTree(TODAY).full_name(it_division.id) == "企画財政部DX推進室情報システム課"
    for kind in ("core", "two_factor", "intermediate"):
        assert System.objects.get(kind=kind).owner == it_division
    assert System.objects.get(kind="intermediate").handles_specific_personal_info
    scope = scope_for(User.objects.get(username="joho-kacho"), on=TODAY)
    assert scope.central_roles == {Role.CORE_ADMIN, Role.TWO_FACTOR_ADMIN, Role.INTERMEDIATE_ADMIN}
    assert scope.officer_unit_ids == {it_division.id}
    jinji = System.objects.get(code="JINJI")
    assert jinji.id in scope_for(User.objects.get(username="shokuin-kacho"), on=TODAY).administered_system_ids


@pytest.mark.clause("A4")
def test_every_unit_has_a_head_with_the_right_post_on_the_load_date(kitami_loaded):
    heads = {
        a.organization_id: a.post.code
        for a in Assignment.objects.as_of(TODAY).filter(post__is_head=True).select_related("post")
    }
    for org in Organization.objects.as_of(TODAY).exclude(kind="city"):
        assert org.id in heads, org.code
        if org.kind in {"division", "section", "department"}:
            assert heads[org.id] == kitami.HEAD_POSTS[org.kind], org.code
    security_units = Organization.objects.filter(is_security_unit=True)
    assert security_units.count() > 50
    for org in security_units:
        assert heads_of(org.id, TODAY).count() == 1, org.code


@pytest.mark.clause("A2.4")
@pytest.mark.clause("A7")
def test_fiscal_year_appointees_serve_this_fiscal_year_and_their_grants_end_with_it(kitami_loaded):
    appointments = Appointment.objects.filter(employment_type__in=EmploymentType.fiscal_year())
    assert appointments.count() == kitami_loaded.fiscal_year_appointees
    assert set(appointments.values_list("valid_from", "valid_to")) == {fiscal_year_of(TODAY)}
    grants = Grant.objects.filter(account__person__appointments__in=appointments)
    assert grants.exists()
    assert set(grants.values_list("valid_to", flat=True)) == {dt.date(2027, 4, 1)}
    regular = Grant.objects.filter(account__person__appointments__employment_type=EmploymentType.REGULAR)
    assert set(regular.values_list("valid_to", flat=True)) == {None}
    assert set(Grant.objects.values_list("basis", flat=True)) == {
        "initial_load",
        "maintenance",
        "viewing",
    }  # + the demo viewing ID (issue 11)


@pytest.mark.clause("A2.5")
@pytest.mark.clause("A5.9")
def test_maintenance_staff_belong_to_contractors_and_their_grants_end(kitami_loaded):
    maintenance = Grant.objects.filter(account__kind="maintenance")
    assert maintenance.exists()
    assert not maintenance.filter(valid_to__isnull=True).exists()
    assert not Person.objects.filter(kind=PersonKind.MAINTENANCE, contractor__isnull=True).exists()
    # A5.9 with A12: each on an active contract (consulted first, A12.2), ending with it
    from kengen.outsourcing.models import ContractStaff

    staff = ContractStaff.objects.select_related("contract")
    assert set(staff.values_list("person", flat=True)) == set(
        Person.objects.filter(kind=PersonKind.MAINTENANCE).values_list("pk", flat=True)
    )
    for row in staff:
        assert row.contract.status == "active"
        assert any(c.agreed for c in row.contract.consultations.all())
        assert not maintenance.filter(account__person=row.person, valid_to__gt=row.contract.valid_to).exists()


@pytest.mark.clause("A13.1")
@pytest.mark.clause("A13.2")
def test_the_demo_has_an_assessed_external_service_with_evidence_expiring_soon(kitami_loaded):
    from kengen.outsourcing.models import ExternalService

    in_use = ExternalService.objects.get(status="in_use")
    assert in_use.assessments.filter(may_entrust=True).exists()
    assert any(c.agreed for c in in_use.consultations.all())
    ismap = in_use.evidence.get(kind="ismap")
    assert ismap.expires_on is not None and TODAY < ismap.expires_on <= TODAY + dt.timedelta(days=60)
    assert in_use.next_assessment_on == ismap.expires_on  # the expiry brings the re-assessment forward
    assert ExternalService.objects.filter(status="planned").exists()  # the A13 journey starts here
    assert kitami_loaded.external_services == 2


@pytest.mark.clause("AS")
def test_loading_twice_is_refused_and_changes_nothing(kitami_loaded):
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        profile_load(name="kitami", today=TODAY)
    with pytest.raises(Conflict):
        profile_load(name="kitami", demo_staff=False, today=TODAY)
    assert AuditEvent.objects.count() == events


def test_the_demo_summary_counts_the_contractors_contracts_and_external_services(kitami_loaded):
    from kengen.outsourcing.models import Contract, ExternalService
    from kengen.profiles.management.commands.demo import summary_line

    s = kitami_loaded
    assert s.contracts == Contract.objects.count() > 0
    assert s.external_services == ExternalService.objects.count() > 0
    with translation.override("en"):
        line = summary_line(s, seconds=1.0)
    assert f"{s.contractors} contractors with {s.contracts} contracts" in line
    assert f"{s.external_services} external services" in line
    with translation.override("ja"):
        line = summary_line(s, seconds=1.0)
    assert f"委託契約{s.contracts}件" in line and f"外部サービス{s.external_services}件" in line


def test_demo_command_says_already_loaded_and_prints_the_sign_ins(kitami_loaded):
    events = AuditEvent.objects.count()
    out = io.StringIO()
    with translation.override("en"):
        call_command("demo", stdout=out)
    text = out.getvalue()
    assert "already loaded" in text
    assert kitami.DEMO_PASSWORD in text
    for login in kitami.DEMO_LOGINS:
        assert login.username in text
    assert AuditEvent.objects.count() == events


def test_demo_sign_ins_exist_with_the_roles_they_are_for(kitami_loaded):
    users = {u.username: u for u in User.objects.select_related("person")}
    for login in kitami.DEMO_LOGINS:
        assert users[login.username].check_password(kitami.DEMO_PASSWORD), login.username
    assert users["admin"].is_superuser and users["admin"].person is None
    assert scope_for(users["kansa"], on=TODAY).is_auditor
    assert scope_for(users["jinji"], on=TODAY).is_personnel
    assert not scope_for(users["shokuin"], on=TODAY).has_any_role
    for username, code in [
        ("shokuin-kacho", "D01-K02"),
        ("shiminzei-kacho", "D01-K04"),
        ("hoiku-kacho", "D05-K02"),
    ]:
        org = Organization.objects.get(code=code)
        assert scope_for(users[username], on=TODAY).officer_unit_ids == {org.id}, username
    hoiku = OrgTree(TODAY).descendant_ids([Organization.objects.get(code="D05-K02").id])
    assert Appointment.objects.filter(
        employment_type__in=EmploymentType.fiscal_year(),
        person__assignments__organization_id__in=hoiku,
    ).exists()


def test_the_staff_plan_is_deterministic_with_plausible_names():
    fy = fiscal_year_of(TODAY)
    first, second = (
        plan_staff(kitami.PROFILE, fiscal_year=fy),
        plan_staff(kitami.PROFILE, fiscal_year=fy),
    )
    assert first == second
    assert [p.staff_number for p in first] == [str(100001 + i) for i in range(len(first))]
    assert any("髙" in p.family_name or "﨑" in p.family_name for p in first)
    assert all(p.family_name_kana and p.given_name_kana for p in first)
    assert len({(p.family_name, p.given_name) for p in first}) == len(first)
    assert fiscal_year_of(dt.date(2027, 3, 31)) == (dt.date(2026, 4, 1), dt.date(2027, 4, 1))


@pytest.mark.clause("A11.4")
def test_the_demo_has_a_viewing_id_that_can_be_lent(kitami_loaded):
    from kengen.credentials.selectors import policy_for
    from kengen.grants.choices import AccountKind

    assert kitami_loaded.viewing_ids == 1
    viewing = Account.objects.get(kind=AccountKind.VIEWING)
    assert policy_for(viewing.system).holds_verifier  # Kengen sets its password at each lending
    assert viewing.holder_organization == viewing.system.owner
