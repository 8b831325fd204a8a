"""Reconciliation of a system's own account list with the management file (A5.10, A5.11)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import Conflict, PermissionDenied, RuleViolation
from kengen.notifications.models import Notification
from kengen.people.models import Appointment
from kengen.people.services import appointment_end
from kengen.reviews.choices import FindingCategory, FindingStatus
from kengen.reviews.models import Finding
from kengen.reviews.services import ColumnMapping, finding_update, reconciliation_import
from kengen.reviews.tests.conftest import ReviewWorld
from kengen.testing import staff

pytestmark = pytest.mark.django_db

MAPPING = ColumnMapping(user_id="ユーザID", permissions="権限", last_sign_in="最終ログイン")


def _csv(rows: list[tuple[str, str, str]], encoding: str = "utf-8-sig") -> bytes:
    lines = ["ユーザID,権限,最終ログイン", *(",".join(r) for r in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture
def fixture(rw: ReviewWorld):
    """In the file: u-jinji (inquiry+update), u-kazei (inquiry), u-leaver (inquiry, holder retired),
    u-missing (inquiry). On the system: u-jinji (inquiry only → mismatch), u-kazei (signed in long
    ago → unused), u-leaver, u-orphan; u-missing is absent."""
    today = timezone.localdate()
    leaver = staff(rw.w.kazei, family="退職", given="者")
    rw.grant(rw.account(leaver, "u-leaver"))
    appointment_end(
        actor=None,
        appointment=Appointment.objects.get(person=leaver),
        on=today - dt.timedelta(days=5),
        reason="retired",
    )
    missing = staff(rw.w.jinji, family="欠落", given="者")
    rw.grant(rw.account(missing, "u-missing"))
    recent = (today - dt.timedelta(days=3)).isoformat()
    old = (today - dt.timedelta(days=400)).isoformat()
    return _csv(
        [
            ("u-jinji", "inquiry", recent),
            ("u-kazei", "inquiry", old),
            ("u-leaver", "inquiry", recent),
            ("u-orphan", "inquiry;update", recent),
        ],
        encoding="cp932",
    )


def _findings(run) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for cat, uid in run.findings.values_list("category", "user_id"):
        out.setdefault(cat, set()).add(uid)
    return out


@pytest.mark.clause("A5.10")
def test_each_category_of_difference_is_found(rw: ReviewWorld, fixture: bytes):
    run = reconciliation_import(
        actor=rw.w.users["shokuin_head"],
        system=rw.system,
        as_of=timezone.localdate(),
        content=fixture,
        filename="juki.csv",
        mapping=MAPPING,
        unused_days=90,
    )
    assert run.row_count == 4
    assert _findings(run) == {
        FindingCategory.ORPHAN: {"u-orphan"},
        FindingCategory.MISSING: {"u-missing"},
        FindingCategory.MISMATCH: {"u-jinji"},
        FindingCategory.LEAVER: {"u-leaver"},
        FindingCategory.UNUSED: {"u-kazei"},
    }
    mismatch = run.findings.get(category=FindingCategory.MISMATCH)
    assert (mismatch.on_system, mismatch.in_file) == ("inquiry", "inquiry;update")
    assert AuditEvent.objects.filter(action=AuditAction.RECONCILIATION_IMPORTED).exists()


@pytest.mark.clause("A5.10")
def test_export_rows_are_kept_only_for_their_last_sign_in(rw: ReviewWorld, fixture: bytes):
    """The export's rows serve only the matrix's "last sign-in where known": without that column
    none is stored, and the findings are the same (leavers, orphans, mismatches, missing)."""
    mapping = ColumnMapping(user_id="ユーザID", permissions="権限")
    run = reconciliation_import(
        actor=rw.w.users["shokuin_head"],
        system=rw.system,
        as_of=timezone.localdate(),
        content=fixture,
        filename="juki.csv",
        mapping=mapping,
    )
    assert run.row_count == 4 and not run.accounts.exists()
    assert _findings(run) == {
        FindingCategory.ORPHAN: {"u-orphan"},
        FindingCategory.MISSING: {"u-missing"},
        FindingCategory.MISMATCH: {"u-jinji"},
        FindingCategory.LEAVER: {"u-leaver"},
    }
    with_dates = reconciliation_import(
        actor=rw.w.users["shokuin_head"],
        system=rw.system,
        as_of=timezone.localdate(),
        content=fixture,
        filename="juki.csv",
        mapping=MAPPING,
    )
    assert with_dates.accounts.count() == 4
    orphan = with_dates.findings.get(category=FindingCategory.ORPHAN)
    assert (orphan.person_id, orphan.on_system, orphan.in_file) == (None, "inquiry;update", "")


@pytest.mark.clause("A5.10")
def test_excel_export_with_a_column_mapping(rw: ReviewWorld):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["ID", "ROLE", "LAST"])
    ws.append(["u-jinji", "inquiry|update", dt.datetime(2025, 1, 1, 9, 0)])
    ws.append(["u-kazei", "inquiry", None])
    buf = io.BytesIO()
    wb.save(buf)
    run = reconciliation_import(
        actor=rw.w.users["shokuin_head"],
        system=rw.system,
        as_of=timezone.localdate(),
        content=buf.getvalue(),
        filename="export.xlsx",
        mapping=ColumnMapping(user_id="ID", permissions="ROLE", last_sign_in="LAST", separator="|"),
    )
    assert _findings(run) == {}
    assert run.accounts.get(user_id="u-jinji").last_sign_in == dt.date(2025, 1, 1)


@pytest.mark.clause("A5.10")
def test_a_bad_row_refuses_the_whole_file_naming_row_and_column(rw: ReviewWorld):
    bad = _csv([("u-jinji", "inquiry", "2025-01-01"), ("u-kazei", "inquiry", "yesterday")])
    with pytest.raises(RuleViolation) as e:
        reconciliation_import(
            actor=rw.w.users["shokuin_head"],
            system=rw.system,
            as_of=timezone.localdate(),
            content=bad,
            filename="x.csv",
            mapping=MAPPING,
        )
    assert "3" in e.value.message and "最終ログイン" in e.value.message and e.value.field == "last_sign_in"
    assert not Finding.objects.exists()
    with pytest.raises(RuleViolation) as e:
        reconciliation_import(
            actor=rw.w.users["shokuin_head"],
            system=rw.system,
            as_of=timezone.localdate(),
            content=bad,
            filename="x.csv",
            mapping=ColumnMapping(user_id="uid"),
        )
    assert e.value.field == "user_id"


@pytest.mark.clause("A5.10")
def test_only_the_system_administrator_reconciles(rw: ReviewWorld, fixture: bytes):
    with pytest.raises(PermissionDenied):
        reconciliation_import(
            actor=rw.w.users["shiminzei_head"],
            system=rw.system,
            as_of=timezone.localdate(),
            content=fixture,
            filename="x.csv",
            mapping=MAPPING,
        )


@pytest.mark.clause("A5.11")
def test_finding_becomes_a_task_tracked_to_done_or_is_accepted_with_a_reason(rw: ReviewWorld, fixture: bytes):
    admin = rw.w.users["shokuin_head"]
    run = reconciliation_import(
        actor=admin,
        system=rw.system,
        as_of=timezone.localdate(),
        content=fixture,
        filename="x.csv",
        mapping=MAPPING,
    )
    orphan = run.findings.get(category=FindingCategory.ORPHAN)
    finding_update(actor=admin, finding=orphan, status=FindingStatus.TASK)
    assert Notification.objects.filter(
        recipient=rw.w.people["shokuin_head"], subject__contains="u-orphan"
    ).exists()
    done = finding_update(actor=admin, finding=orphan, status=FindingStatus.DONE, note="システム側で削除")
    assert done.status == FindingStatus.DONE and done.resolved_at is not None
    with pytest.raises(Conflict):
        finding_update(actor=admin, finding=orphan, status=FindingStatus.TASK)
    missing = run.findings.get(category=FindingCategory.MISSING)
    with pytest.raises(RuleViolation):
        finding_update(actor=admin, finding=missing, status=FindingStatus.ACCEPTED)
    finding_update(actor=admin, finding=missing, status=FindingStatus.ACCEPTED, note="休職中のため一時停止")
    assert AuditEvent.objects.filter(action=AuditAction.FINDING_UPDATED).count() == 3
