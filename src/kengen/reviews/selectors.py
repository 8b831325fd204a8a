"""Reads of validity checks: the officer's people × permissions matrix, progress per section and
the evidence table. Every read starts from ``restrict``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from kengen.core.exports import Table
from kengen.organizations.selectors import OrgTree
from kengen.reviews.choices import Decision, ItemKind, Outcome, Route
from kengen.reviews.models import ImportedAccount, Reconciliation, ReviewCampaign, ReviewItem
from kengen.terminals.models import BiometricEnrolment
from kengen.users.models import User


@dataclass
class MatrixCell:
    item: ReviewItem
    column: str


@dataclass
class PersonRow:
    """One person of the matrix: their items, keyed by permission column."""

    person_id: int | None
    name: str
    staff_number: str
    unit: str
    items: list[ReviewItem] = field(default_factory=list)
    cells: dict[str, ReviewItem] = field(default_factory=dict)
    last_sign_in: dt.date | None = None
    enrolled: str = ""

    @property
    def unchanged(self) -> bool:
        return not any(i.is_new for i in self.items)

    @property
    def undecided(self) -> int:
        return sum(1 for i in self.items if not i.decision)


@dataclass
class Matrix:
    columns: list[str]
    rows: list[PersonRow]


def column_of(item: ReviewItem) -> str:
    if item.kind == ItemKind.ENROLMENT:
        return "生体情報登録"
    assert item.grant is not None
    perm = item.grant.permission
    return f"{perm.system.name} {perm.name}"


def items_for(user: User, campaign: ReviewCampaign) -> QuerySet[ReviewItem]:
    return (
        ReviewItem.objects.restrict(user)
        .filter(campaign=campaign)
        .select_related(
            "person",
            "grant__account",
            "grant__permission__system",
            "enrolment",
            "decided_by",
        )
    )


def campaign_matrix(
    user: User, campaign: ReviewCampaign, *, section: int | None = None, limit: int = 2000
) -> Matrix:
    """The people × permissions matrix the user may decide, one row per person (A5.10), with what
    is new since the last campaign, the basis of each grant and the last sign-in the system itself
    reported (the latest reconciliation), where known."""
    today = timezone.localdate()
    tree = OrgTree(today)
    items = items_for(user, campaign)
    if section is not None:
        items = items.filter(organization_id__in=sorted(tree.descendant_ids([section])))
    rows: dict[Any, PersonRow] = {}
    columns: dict[str, None] = {}
    for item in items.order_by("organization_id", "person__family_name_kana", "person_id", "id")[:limit]:
        key = item.person_id or f"unit-{item.organization_id}"
        row = rows.get(key)
        if row is None:
            p = item.person
            unit = tree.full_name(item.organization_id) if item.organization_id in tree.by_id else ""
            row = rows[key] = PersonRow(
                person_id=item.person_id,
                name=p.full_name if p else unit,
                staff_number=(p.staff_number or "") if p else "",
                unit=unit,
            )
        col = column_of(item)
        columns[col] = None
        row.items.append(item)
        row.cells[col] = item
    uids: dict[str, list[PersonRow]] = defaultdict(list)
    for row in rows.values():
        for i in row.items:
            if i.grant is not None:
                uids[i.grant.account.user_id].append(row)
    if uids:
        systems = [s.account_system.id for s in campaign.systems.all()]
        latest = Reconciliation.objects.filter(system_id__in=systems).order_by("-as_of", "-id").first()
        if latest is not None:
            for uid, last in ImportedAccount.objects.filter(
                reconciliation=latest, user_id__in=list(uids)[:5000]
            ).values_list("user_id", "last_sign_in"):
                for row in uids[uid]:
                    if last and (row.last_sign_in is None or last > row.last_sign_in):
                        row.last_sign_in = last
    people = [r.person_id for r in rows.values() if r.person_id]
    for e in BiometricEnrolment.objects.filter(person_id__in=people, completed_at__isnull=False).order_by(
        "completed_at"
    ):
        for row in rows.values():
            if row.person_id == e.person_id:
                row.enrolled = f"{e.place} {timezone.localtime(e.completed_at).date().isoformat()}"
    return Matrix(columns=sorted(columns), rows=list(rows.values()))


@dataclass
class SectionProgress:
    section_id: int | None
    name: str
    total: int = 0
    decided: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.decided / self.total) if self.total else 100


def campaign_progress(user: User, campaign: ReviewCampaign) -> list[SectionProgress]:
    """Items and decisions per section (the security unit of each item's unit), one grouped query."""
    tree = OrgTree(timezone.localdate())
    out: dict[int | None, SectionProgress] = {}
    for org_id, route, total, decided in (
        ReviewItem.objects.restrict(user)
        .filter(campaign=campaign)
        .values_list("organization_id", "route")
        .annotate(total=Count("id"), decided=Count("id", filter=~Q(decision="")))
        .order_by()
    ):
        unit = tree.security_unit_of(org_id) if org_id and route == Route.OFFICER else None
        key = unit.id if unit else None
        name = tree.full_name(unit.id) if unit else "管理者"
        sp = out.setdefault(key, SectionProgress(section_id=key, name=name))
        sp.total += total
        sp.decided += decided
    return sorted(out.values(), key=lambda s: (s.section_id is None, s.name))


def campaign_counts(user: User, campaign: ReviewCampaign) -> dict[str, int]:
    qs = ReviewItem.objects.restrict(user).filter(campaign=campaign)
    agg = qs.aggregate(
        total=Count("id"),
        undecided=Count("id", filter=Q(decision="")),
        keep=Count("id", filter=Q(decision=Decision.KEEP)),
        revoke=Count("id", filter=Q(decision=Decision.REVOKE)),
        correct=Count("id", filter=Q(decision=Decision.CORRECT)),
        new=Count("id", filter=Q(is_new=True)),
        escalated=Count("id", filter=Q(escalated=True, decision="")),
        last=Max("decided_at"),
    )
    return {k: v for k, v in agg.items() if k != "last"}


EVIDENCE_HEADERS = [
    "項目ID",
    "種別",
    "システム",
    "ユーザID",
    "権限",
    "職員番号",
    "氏名",
    "所属",
    "根拠",
    "前回以降の新規",
    "判断",
    "理由",
    "訂正後の終了日",
    "判断者",
    "判断日時",
    "督促済",
    "結果",
]


def evidence_rows(user: User, campaign: ReviewCampaign, chunk: int = 5000) -> Iterator[list[Any]]:
    """Every item as plain values, read in keyset chunks of tuples (no model instances)."""
    tree = OrgTree(timezone.localdate())
    decisions = dict(Decision.choices)
    outcomes = dict(Outcome.choices)
    base = (
        ReviewItem.objects.restrict(user)
        .filter(campaign=campaign)
        .order_by("pk")
        .values_list(
            "pk",
            "kind",
            "system__name",
            "grant__account__user_id",
            "grant__permission__name",
            "person__staff_number",
            "person__family_name",
            "person__given_name",
            "organization_id",
            "grant__basis",
            "grant__basis_reference",
            "is_new",
            "decision",
            "reason",
            "correct_to",
            "decided_by__username",
            "decided_at",
            "escalated",
            "outcome",
        )
    )
    last = 0
    while True:
        batch = list(base.filter(pk__gt=last)[:chunk])
        if not batch:
            return
        for r in batch:
            unit = tree.full_name(r[8]) if r[8] in tree.by_id else ""
            decided_at = timezone.localtime(r[16]).replace(tzinfo=None) if r[16] else None
            yield [
                r[0],
                "生体情報登録" if r[1] == ItemKind.ENROLMENT else "権限",
                r[2],
                r[3] or "",
                r[4] or "",
                r[5] or "",
                f"{r[6] or ''} {r[7] or ''}".strip(),
                unit,
                f"{r[9] or ''} {r[10] or ''}".strip(),
                "新規" if r[11] else "",
                str(decisions.get(r[12], "未判断")) if r[12] else "未判断",
                r[13],
                r[14],
                r[15] or "",
                decided_at,
                "○" if r[17] else "",
                str(outcomes.get(r[18], "")) if r[18] else "",
            ]
        last = batch[-1][0]


def evidence_table(user: User, campaign: ReviewCampaign) -> Table:
    return Table(title="validity-check", headers=EVIDENCE_HEADERS, rows=evidence_rows(user, campaign))
