"""Validity checks of the management file: campaigns (A5.10, A6.5), their corrections (A5.11,
A6.6) and reconciliation with the systems' own account lists (A5.10). Every write is here, one
transaction each, audited. Campaign generation, re-routing and bulk decisions are set-based."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import F, IntegerField, Q, QuerySet, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kengen.audit.choices import AuditAction
from kengen.audit.services import audit_record
from kengen.core.bulk import write_rows
from kengen.core.exceptions import Conflict, NotFound, PermissionDenied, RuleViolation
from kengen.core.models import active_on_q
from kengen.core.types import Actor
from kengen.grants.choices import EndReason
from kengen.grants.models import Account, Grant
from kengen.grants.services import grant_end, require_file_administrator
from kengen.notifications.services import notification_send
from kengen.organizations.selectors import OrgTree
from kengen.people.choices import PersonKind
from kengen.people.models import Appointment, Assignment, Person
from kengen.reviews.choices import (
    CampaignKind,
    CampaignStatus,
    Decision,
    FindingCategory,
    FindingStatus,
    ItemKind,
    Outcome,
    Route,
)
from kengen.reviews.models import (
    Finding,
    ImportedAccount,
    Reconciliation,
    ReviewCampaign,
    ReviewEvidence,
    ReviewItem,
    ReviewSchedule,
)
from kengen.roles.selectors import administrators_of
from kengen.systems.choices import SystemKind
from kengen.systems.models import System
from kengen.terminals.models import BiometricEnrolment
from kengen.terminals.services import enrolment_cancel

#: Largest scanned check sheet accepted as evidence.
MAX_EVIDENCE_BYTES = 20 * 1024 * 1024
EVIDENCE_TYPES: dict[bytes, str] = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"II*\x00": "image/tiff",
    b"MM\x00*": "image/tiff",
}


# --- who may do what ---------------------------------------------------------------------------


def _require_campaign_admin(actor: Actor, systems: Iterable[System]) -> None:
    """Opening and finalizing a campaign is for the administrator of every system in it (A5.10,
    A6.5: the two-factor administrator for terminal campaigns)."""
    for system in systems:
        require_file_administrator(actor, system)


def _open_campaign(campaign_id: int) -> ReviewCampaign:
    campaign = ReviewCampaign.objects.select_for_update().filter(pk=campaign_id).first()
    if campaign is None:
        raise NotFound(_("Not found."))
    if campaign.status != CampaignStatus.OPEN:
        raise Conflict(_("This validity check has been finalized."))
    return campaign


# --- routing (A4) ------------------------------------------------------------------------------


def _units_today_sql(today: dt.date) -> tuple[str, list[Any]]:
    """``SELECT person_id, unit``: each person's unit today, their primary assignment, else the
    earliest other one. One window over the assignments in force, joined once by its users (a
    subquery per item cost ~100× the raw insert on PostgreSQL)."""
    table = Assignment._meta.db_table
    sql = f"""
        SELECT person_id, unit FROM (
            SELECT person_id, organization_id AS unit,
                   ROW_NUMBER() OVER (PARTITION BY person_id ORDER BY is_primary DESC, valid_from, id) AS rn
            FROM {table}
            WHERE valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)
        ) ranked WHERE rn = 1
    """  # noqa: S608 - table name from the model, values as parameters
    return sql, [today, today]


def _units_with_officer(today: dt.date) -> list[int]:
    tree = OrgTree(today)
    return sorted(o for o in tree.by_id if tree.security_unit_of(o) is not None)


def _insert_select(table_columns: Sequence[str], queryset: QuerySet) -> int:
    """``INSERT INTO review items (…) SELECT …``: the rows never pass through Python."""
    sql, params = queryset.query.sql_with_params()
    table = ReviewItem._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(table_columns)}) {sql}", params)
        return cursor.rowcount


ITEM_COLUMNS = (
    "campaign_id",
    "kind",
    "grant_id",
    "enrolment_id",
    "system_id",
    "person_id",
    "organization_id",
    "route",
    "is_new",
    "decision",
    "reason",
    "escalated",
    "outcome",
)


def _grants_in_scope(systems: Sequence[System], as_of: dt.date) -> QuerySet[Grant]:
    ids = [s.id for s in systems]
    return Grant.objects.filter(active_on_q(as_of)).filter(
        Q(account__system_id__in=ids) | Q(permission__system_id__in=ids)
    )


def _generate_items(campaign: ReviewCampaign, systems: Sequence[System], today: dt.date) -> int:
    """Every grant in force on ``as_of`` on the campaign's systems becomes one item, routed to the
    holder's unit today, flagged when it was not in the previous campaign: one ``INSERT … SELECT``.
    The holder's unit (primary assignment, else the earliest) is a window over the assignments in
    force joined once, not a subquery per grant (which cost ~100× the raw insert on PostgreSQL)."""
    ids = sorted(s.id for s in systems)
    no_officer = sorted(set(OrgTree(today).by_id) - set(_units_with_officer(today)))
    grant_t, account_t = Grant._meta.db_table, Account._meta.db_table
    person_t = Person._meta.db_table
    item_t = ReviewItem._meta.db_table
    from kengen.systems.models import SystemPermission

    perm_t = SystemPermission._meta.db_table

    units_sql, units_params = _units_today_sql(today)

    def placeholders(values: Sequence[int]) -> str:
        return ", ".join(["%s"] * len(values)) if values else "NULL"

    sql = f"""
        INSERT INTO {item_t} ({", ".join(ITEM_COLUMNS)})
        SELECT %s, %s, g.id, NULL, a.system_id, a.person_id, u.unit,
               CASE WHEN p.kind = %s THEN %s
                    WHEN u.unit IS NULL THEN %s
                    WHEN u.unit IN ({placeholders(no_officer)}) THEN %s
                    ELSE %s END,
               CASE WHEN %s AND prev.id IS NULL THEN %s ELSE %s END,
               '', '', %s, ''
        FROM {grant_t} g
        JOIN {account_t} a ON a.id = g.account_id
        JOIN {perm_t} sp ON sp.id = g.permission_id
        LEFT JOIN {person_t} p ON p.id = a.person_id
        LEFT JOIN ({units_sql}) u ON u.person_id = a.person_id
        LEFT JOIN {item_t} prev ON prev.campaign_id = %s AND prev.grant_id = g.id
        WHERE g.valid_from <= %s AND (g.valid_to IS NULL OR g.valid_to > %s)
          AND (a.system_id IN ({placeholders(ids)}) OR sp.system_id IN ({placeholders(ids)}))
    """  # noqa: S608 - table names from the models, values as parameters
    params: list[Any] = [
        campaign.pk,
        ItemKind.GRANT,
        PersonKind.MAINTENANCE,
        Route.ADMINISTRATOR,
        Route.ADMINISTRATOR,
        *no_officer,
        Route.ADMINISTRATOR,
        Route.OFFICER,
        campaign.previous_id is not None,
        True,
        False,
        False,
        *units_params,
        campaign.previous_id or 0,
        campaign.as_of,
        campaign.as_of,
        *ids,
        *ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count = cursor.rowcount
    # Viewing IDs are held by a unit, not a person: their unit is the holding unit.
    viewing = ReviewItem.objects.filter(campaign=campaign, person__isnull=True, grant__isnull=False)
    if viewing.exists():
        holders = dict(
            Grant.objects.filter(pk__in=viewing.values("grant_id")).values_list(
                "pk", "account__holder_organization_id"
            )
        )
        for item in viewing:
            unit = holders.get(item.grant_id or 0)
            item.organization_id = unit
            item.route = Route.ADMINISTRATOR if unit is None or unit in set(no_officer) else Route.OFFICER
            item.save(update_fields=["organization_id", "route"])
    if campaign.kind == CampaignKind.TERMINALS:
        count += _generate_enrolment_items(campaign, systems, today)
    return count


def _generate_enrolment_items(campaign: ReviewCampaign, systems: Sequence[System], today: dt.date) -> int:
    """A6.5: biometric enrolments still pending are reviewed beside the terminal permissions."""
    system = next((s for s in systems if s.kind == SystemKind.TWO_FACTOR), systems[0])
    enrolments = BiometricEnrolment.objects.pending().filter(created_at__date__lte=campaign.as_of)
    units = dict(
        Assignment.objects.filter(active_on_q(today), person_id__in=enrolments.values("person_id"))
        .order_by("person_id", "is_primary", "-valid_from")
        .values_list("person_id", "organization_id")
    )  # the last one wins: primary, then earliest
    with_officer = set(_units_with_officer(today))
    items = [
        ReviewItem(
            campaign=campaign,
            kind=ItemKind.ENROLMENT,
            enrolment=e,
            system=system,
            person_id=e.person_id,
            organization_id=units.get(e.person_id),
            route=Route.OFFICER if units.get(e.person_id) in with_officer else Route.ADMINISTRATOR,
        )
        for e in enrolments
    ]
    ReviewItem.objects.bulk_create(items)
    return len(items)


def _reroute(campaign: ReviewCampaign, today: dt.date) -> int:
    """Undecided items follow their holder: after a transfer mid-campaign the item goes to the new
    unit's officer (A4); people who left a unit with an officer go to the administrator. Set-based:
    the units today are computed once into a temporary table keyed by person, then two UPDATEs."""
    items = ReviewItem.objects.filter(campaign=campaign, decision="", person__isnull=False)
    item_t, units_t = ReviewItem._meta.db_table, "reviews_unit_today"
    units_sql, units_params = _units_today_sql(today)
    where = "campaign_id = %s AND decision = '' AND person_id IS NOT NULL"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {units_t}")
        cursor.execute(f"CREATE TEMPORARY TABLE {units_t} AS {units_sql}", units_params)
        cursor.execute(f"CREATE UNIQUE INDEX {units_t}_person ON {units_t} (person_id)")
        cursor.execute(
            f"SELECT COUNT(*) FROM {item_t} i LEFT JOIN {units_t} u ON u.person_id = i.person_id "  # noqa: S608
            f"WHERE i.{where.replace(' AND ', ' AND i.')} "
            "AND COALESCE(i.organization_id, 0) <> COALESCE(u.unit, 0)",
            [campaign.pk],
        )
        moved = int(cursor.fetchone()[0])
        if moved:  # only the rows that change (an UPDATE rewrites every row it touches)
            unit = f"(SELECT u.unit FROM {units_t} u WHERE u.person_id = {item_t}.person_id)"  # noqa: S608
            cursor.execute(
                f"UPDATE {item_t} SET organization_id = {unit} "  # noqa: S608
                f"WHERE {where} AND COALESCE(organization_id, 0) <> COALESCE({unit}, 0)",
                [campaign.pk],
            )
        cursor.execute(f"DROP TABLE {units_t}")
    maintenance = Person.objects.filter(kind=PersonKind.MAINTENANCE).values("pk")
    to_officer = Q(organization_id__in=_units_with_officer(today)) & ~Q(person_id__in=maintenance)
    items.filter(to_officer).exclude(route=Route.OFFICER).update(route=Route.OFFICER)
    items.exclude(to_officer).exclude(route=Route.ADMINISTRATOR).update(route=Route.ADMINISTRATOR)
    return moved


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _systems_of_kind(kind: str, systems: Sequence[System]) -> list[System]:
    if not systems:
        raise RuleViolation(_("Choose at least one system."), clause="A5.10", field="systems")
    if kind == CampaignKind.TERMINALS and any(s.kind != SystemKind.TWO_FACTOR for s in systems):
        raise RuleViolation(
            _("A terminal validity check covers the two-factor authentication system."),
            clause="A6.5",
            field="systems",
        )
    return list(systems)


@transaction.atomic
def campaign_open(
    *,
    actor: Actor,
    title: str,
    systems: Sequence[System],
    as_of: dt.date,
    deadline: dt.date,
    kind: str = CampaignKind.SYSTEMS,
    remind_days: int = 7,
    schedule: ReviewSchedule | None = None,
    today: dt.date | None = None,
) -> ReviewCampaign:
    """Open a validity check over ``systems`` as of ``as_of`` (A5.10; A6.5 for terminals): one item
    per grant in force that day, routed to the security officer of the holder's unit (A4)."""
    today = today or timezone.localdate()
    if kind not in CampaignKind.values:
        raise RuleViolation(_("Unknown kind of validity check."), field="kind")
    systems = _systems_of_kind(kind, systems)
    _require_campaign_admin(actor, systems)
    title = title.strip()
    if not title:
        raise RuleViolation(_("Give the validity check a title."), field="title")
    if deadline < today or deadline < as_of:
        raise RuleViolation(_("The deadline must not be in the past."), clause="A5.10", field="deadline")
    ids = sorted(s.id for s in systems)
    previous = (
        ReviewCampaign.objects.filter(kind=kind, systems__in=ids, status=CampaignStatus.FINALIZED)
        .order_by("-as_of", "-id")
        .first()
    )
    campaign = ReviewCampaign.objects.create(
        title=title,
        kind=kind,
        as_of=as_of,
        deadline=deadline,
        remind_days=remind_days,
        previous=previous,
        schedule=schedule,
        opened_by=actor if getattr(actor, "pk", None) else None,
    )
    campaign.systems.set(systems)
    count = _generate_items(campaign, systems, today)
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW_OPENED,
        target=campaign,
        new={
            "title": title,
            "kind": kind,
            "systems": [s.code for s in systems],
            "as_of": as_of,
            "deadline": deadline,
            "items": count,
            "previous": previous.pk if previous else None,
        },
    )
    _notify_sections(
        campaign,
        today,
        subject=_("Validity check: %(title)s") % {"title": title},
        body=_("Please confirm the permissions of your people by %(deadline)s (A5.10).")
        % {"deadline": deadline.isoformat()},
    )
    return campaign


def _notify_sections(
    campaign: ReviewCampaign, today: dt.date, *, subject: str, body: str, undecided_only: bool = False
) -> int:
    """Tell the officer of every section with items (undecided ones, when asked) in one notice each,
    and the administrators of the systems about the items routed to them."""
    items = ReviewItem.objects.filter(campaign=campaign)
    if undecided_only:
        items = items.undecided()
    tree = OrgTree(today)
    sections: set[int] = set()
    for org_id in (
        items.filter(route=Route.OFFICER).order_by().values_list("organization_id", flat=True).distinct()
    ):
        unit = tree.security_unit_of(org_id) if org_id else None
        if unit is not None:
            sections.add(unit.id)
    recipients: dict[int, Person] = {}
    heads = Person.objects.filter(
        pk__in=Assignment.objects.filter(
            active_on_q(today), organization_id__in=sorted(sections), post__is_head=True
        ).values("person_id")
    )  # the heads of those security units are their officers (A4), in one query
    for officer in heads:
        recipients[officer.pk] = officer
    if items.filter(Q(route=Route.ADMINISTRATOR) | Q(escalated=True)).exists():
        for admin in _administrators(campaign, today):
            recipients[admin.pk] = admin
    if recipients:
        notification_send(
            recipients=list(recipients.values()),
            clause="A6.5" if campaign.kind == CampaignKind.TERMINALS else "A5.10",
            subject=subject,
            body=body,
            target=campaign,
            link=reverse("reviews:detail", args=[campaign.pk]),
        )
    return len(recipients)


def _administrators(campaign: ReviewCampaign, today: dt.date) -> list[Person]:
    found: dict[int, Person] = {}
    for system in campaign.systems.all():
        for p in administrators_of(system, today):
            found[p.pk] = p
    return list(found.values())


@transaction.atomic
def campaign_reroute(*, actor: Actor, campaign: ReviewCampaign, today: dt.date | None = None) -> int:
    """Re-route undecided items after transfers (A4). Run daily by ``kengen run-due``."""
    today = today or timezone.localdate()
    campaign = _open_campaign(campaign.pk)
    if actor is not None:
        _require_campaign_admin(actor, campaign.systems.all())
    moved = _reroute(campaign, today)
    if moved:
        audit_record(actor=actor, action=AuditAction.REVIEW_REROUTED, target=campaign, new={"moved": moved})
    return moved


# --- decisions ---------------------------------------------------------------------------------


def _check_decision(item: ReviewItem, decision: str, reason: str, correct_to: dt.date | None) -> None:
    if decision not in Decision.values:
        raise RuleViolation(_("Choose keep, revoke or correct."), field="decision")
    if decision != Decision.KEEP and not reason.strip():
        raise RuleViolation(
            _("State why the permission is to be revoked or corrected."), clause="A5.11", field="reason"
        )
    if decision == Decision.CORRECT:
        if item.grant is None:
            raise RuleViolation(
                _("A biometric enrolment is kept or cancelled."), clause="A6.6", field="decision"
            )
        g = item.grant
        if correct_to is None:
            raise RuleViolation(_("Give the corrected end date."), clause="A5.11", field="correct_to")
        if correct_to <= g.valid_from or (g.valid_to is not None and correct_to >= g.valid_to):
            raise RuleViolation(
                _("A correction shortens the period: the new end must fall within the current one."),
                clause="A5.11",
                field="correct_to",
            )


@transaction.atomic
def item_decide(
    *,
    actor: Actor,
    item: ReviewItem,
    decision: str,
    reason: str = "",
    correct_to: dt.date | None = None,
) -> ReviewItem:
    """Keep, revoke or correct one item (A5.10). Revoking or correcting needs a reason. Decisions
    may be changed until the administrator finalizes the campaign."""
    locked = (
        ReviewItem.objects.restrict(actor, "change")
        .select_for_update(of=("self",))
        .select_related("grant")
        .filter(pk=item.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("Not found."))
    _open_campaign(locked.campaign_id)
    _check_decision(locked, decision, reason, correct_to)
    old = {"decision": locked.decision, "reason": locked.reason, "correct_to": locked.correct_to}
    locked.decision = decision
    locked.reason = reason.strip()
    locked.correct_to = correct_to if decision == Decision.CORRECT else None
    locked.decided_at = timezone.now()
    locked.decided_by = actor if getattr(actor, "pk", None) else None
    locked.save(update_fields=["decision", "reason", "correct_to", "decided_at", "decided_by"])
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW_DECIDED,
        target=locked,
        old=old,
        new={
            "campaign": locked.campaign_id,
            "grant": locked.grant_id,
            "enrolment": locked.enrolment_id,
            "decision": decision,
            "reason": locked.reason,
            "correct_to": locked.correct_to,
        },
    )
    return locked


@transaction.atomic
def items_keep_bulk(
    *,
    actor: Actor,
    campaign: ReviewCampaign,
    person: Person | None = None,
    section: int | None = None,
    today: dt.date | None = None,
) -> int:
    """Keep, in one step, every undecided item of an unchanged person or of a section (A5.10).
    New grants since the last campaign are never kept in bulk: they are looked at one by one."""
    today = today or timezone.localdate()
    campaign = _open_campaign(campaign.pk)
    if (person is None) == (section is None):
        raise RuleViolation(_("Choose a person or a section."), field="person")
    items = ReviewItem.objects.restrict(actor, "change").filter(campaign=campaign, decision="")
    if person is not None:
        items = items.filter(person=person)
        if items.filter(is_new=True).exists():
            raise RuleViolation(
                _("%(name)s has permissions new since the last check; decide them one by one.")
                % {"name": person.full_name},
                clause="A5.10",
                field="person",
            )
    else:
        tree = OrgTree(today)
        items = items.filter(organization_id__in=sorted(tree.descendant_ids([section or 0])), is_new=False)
    ids = list(items.values_list("pk", flat=True))
    if not ids:
        raise Conflict(_("Nothing left to keep there."))
    now = timezone.now()
    decided_by = actor if getattr(actor, "pk", None) else None
    n = ReviewItem.objects.filter(pk__in=ids).update(
        decision=Decision.KEEP, reason="", correct_to=None, decided_at=now, decided_by=decided_by
    )
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW_BULK_DECIDED,
        target=campaign,
        new={
            "decision": Decision.KEEP,
            "person": person.pk if person else None,
            "section": section,
            "items": n,
        },
    )
    return n


# --- finalizing (A5.11, A6.6) ------------------------------------------------------------------


@dataclass
class FinalizeSummary:
    kept: int = 0
    revoked: int = 0
    corrected: int = 0
    already_ended: int = 0
    undecided: int = 0
    grants_ended: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "kept": self.kept,
            "revoked": self.revoked,
            "corrected": self.corrected,
            "already_ended": self.already_ended,
            "undecided": self.undecided,
            "grants_ended": self.grants_ended,
        }


@transaction.atomic
def campaign_finalize(
    *, actor: Actor, campaign: ReviewCampaign, today: dt.date | None = None
) -> FinalizeSummary:
    """The administrator applies the decisions through the same services as every other change
    (A5.11, A6.6): revocations and corrections end grants (audited), cancelled enrolments go through
    the terminal services; kept items stay; undecided items stay open — never revoked for lack of
    an answer. The officers are notified."""
    today = today or timezone.localdate()
    campaign = _open_campaign(campaign.pk)
    _require_campaign_admin(actor, campaign.systems.all())
    items = ReviewItem.objects.filter(campaign=campaign)
    summary = FinalizeSummary()
    changes = items.filter(decision__in=[Decision.REVOKE, Decision.CORRECT]).select_related(
        "grant", "grant__account__system"
    )
    for item in changes.order_by("pk"):
        if item.kind == ItemKind.ENROLMENT:
            enrolment = BiometricEnrolment.objects.filter(pk=item.enrolment_id or 0).first()
            if enrolment is None or not enrolment.is_pending:
                item.outcome = Outcome.ALREADY_ENDED
                summary.already_ended += 1
            else:
                enrolment_cancel(actor=actor, enrolment_id=enrolment.pk, reason=item.reason)
                item.outcome = Outcome.REVOKED
                summary.revoked += 1
            item.save(update_fields=["outcome"])
            continue
        g = item.grant
        assert g is not None
        on = today if item.decision == Decision.REVOKE else (item.correct_to or today)
        if g.ended_at is not None or (g.valid_to is not None and g.valid_to <= on):
            item.outcome = Outcome.ALREADY_ENDED
            summary.already_ended += 1
        else:
            grant_end(
                actor=actor,
                grant=g,
                on=on,
                reason=EndReason.CORRECTION,
                note=item.reason,
                application_ref=f"review-{campaign.pk}",
            )
            summary.grants_ended.append(g.pk)
            if item.decision == Decision.REVOKE:
                item.outcome = Outcome.REVOKED
                summary.revoked += 1
            else:
                item.outcome = Outcome.CORRECTED
                summary.corrected += 1
        item.save(update_fields=["outcome"])
    summary.kept = items.filter(decision=Decision.KEEP).update(outcome=Outcome.KEPT)
    summary.undecided = items.filter(decision="").update(outcome=Outcome.UNDECIDED)
    campaign.status = CampaignStatus.FINALIZED
    campaign.finalized_at = timezone.now()
    campaign.finalized_by = actor if getattr(actor, "pk", None) else None
    campaign.save(update_fields=["status", "finalized_at", "finalized_by"])
    audit_record(actor=actor, action=AuditAction.REVIEW_FINALIZED, target=campaign, new=summary.as_dict())
    _notify_sections(
        campaign,
        today,
        subject=_("Validity check finalized: %(title)s") % {"title": campaign.title},
        body=_(
            "Kept %(kept)d, revoked %(revoked)d, corrected %(corrected)d; %(undecided)d left undecided "
            "(A5.11)."
        )
        % summary.as_dict(),
    )
    return summary


@transaction.atomic
def campaign_rerun(
    *, actor: Actor, campaign: ReviewCampaign, deadline: dt.date, today: dt.date | None = None
) -> ReviewCampaign:
    """A new campaign over the items the last one left undecided (set-based copy, re-routed)."""
    today = today or timezone.localdate()
    source = ReviewCampaign.objects.filter(pk=campaign.pk).first()
    if source is None:
        raise NotFound(_("Not found."))
    systems = list(source.systems.all())
    _require_campaign_admin(actor, systems)
    if deadline < today:
        raise RuleViolation(_("The deadline must not be in the past."), clause="A5.10", field="deadline")
    undecided = ReviewItem.objects.filter(campaign=source, decision="")
    if not undecided.exists():
        raise Conflict(_("Every item of this validity check has been decided."))
    rerun = ReviewCampaign.objects.create(
        title=_("%(title)s (re-run)") % {"title": source.title},
        kind=source.kind,
        as_of=source.as_of,
        deadline=deadline,
        remind_days=source.remind_days,
        previous=source.previous,
        rerun_of=source,
        opened_by=actor if getattr(actor, "pk", None) else None,
    )
    rerun.systems.set(systems)
    rows = (
        undecided.order_by()
        .annotate(
            c_campaign=Value(rerun.pk, output_field=IntegerField()),
            c_kind=F("kind"),
            c_grant=F("grant_id"),
            c_enrolment=F("enrolment_id"),
            c_system=F("system_id"),
            c_person=F("person_id"),
            c_org=F("organization_id"),
            c_route=F("route"),
            c_new=F("is_new"),
            c_decision=Value(""),
            c_reason=Value(""),
            c_escalated=Value(False),
            c_outcome=Value(""),
        )
        .values_list(
            "c_campaign",
            "c_kind",
            "c_grant",
            "c_enrolment",
            "c_system",
            "c_person",
            "c_org",
            "c_route",
            "c_new",
            "c_decision",
            "c_reason",
            "c_escalated",
            "c_outcome",
        )
    )
    count = _insert_select(ITEM_COLUMNS, rows)
    _reroute(rerun, today)
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW_OPENED,
        target=rerun,
        new={"rerun_of": source.pk, "items": count, "deadline": deadline, "as_of": source.as_of},
    )
    return rerun


# --- reminders and escalation (run-due) --------------------------------------------------------


@dataclass
class ReviewsDue:
    opened: int = 0
    rerouted: int = 0
    reminded: int = 0
    escalated: int = 0


def reviews_run_due(*, today: dt.date) -> ReviewsDue:
    """Scheduled campaigns open; undecided items follow transfers; officers are reminded before the
    deadline; after it, what is still open is escalated to the administrator. Nothing is ever
    revoked here: only a decision revokes (A5.10, A5.11)."""
    due = ReviewsDue()
    for schedule in ReviewSchedule.objects.filter(is_active=True, next_on__lte=today).order_by("pk"):
        with transaction.atomic():
            locked = ReviewSchedule.objects.select_for_update().get(pk=schedule.pk)
            if locked.next_on > today:
                continue
            campaign_open(
                actor=None,
                title=f"{locked.title} {locked.next_on.isoformat()}",
                systems=list(locked.systems.all()),
                as_of=locked.next_on,
                deadline=locked.next_on + dt.timedelta(days=locked.deadline_days),
                kind=locked.kind,
                schedule=locked,
                today=today,
            )
            while locked.next_on <= today:
                locked.next_on = add_months(locked.next_on, locked.interval_months)
            locked.save(update_fields=["next_on"])
            due.opened += 1
    for campaign_id in ReviewCampaign.objects.filter(status=CampaignStatus.OPEN).values_list("pk", flat=True):
        with transaction.atomic():
            campaign = _open_campaign(campaign_id)
            moved = _reroute(campaign, today)
            if moved:
                due.rerouted += moved
                audit_record(
                    actor=None,
                    actor_label="kengen run-due",
                    action=AuditAction.REVIEW_REROUTED,
                    target=campaign,
                    new={"moved": moved},
                )
            undecided = ReviewItem.objects.filter(campaign=campaign, decision="")
            if not undecided.exists():
                continue
            if today >= campaign.deadline and campaign.escalated_on is None:
                n = undecided.update(escalated=True)
                campaign.escalated_on = today
                campaign.save(update_fields=["escalated_on"])
                admins = _administrators(campaign, today)
                notification_send(
                    recipients=admins,
                    clause="A6.5" if campaign.kind == CampaignKind.TERMINALS else "A5.10",
                    subject=_("Validity check overdue: %(title)s") % {"title": campaign.title},
                    body=_(
                        "%(n)d items were not decided by the deadline. They stay as they are until "
                        "someone decides them; nothing is revoked automatically."
                    )
                    % {"n": n},
                    target=campaign,
                    link=reverse("reviews:detail", args=[campaign.pk]),
                )
                audit_record(
                    actor=None,
                    actor_label="kengen run-due",
                    action=AuditAction.REVIEW_ESCALATED,
                    target=campaign,
                    new={"items": n, "administrators": [a.pk for a in admins]},
                )
                due.escalated += 1
            elif (
                campaign.deadline - dt.timedelta(days=campaign.remind_days) <= today < campaign.deadline
                and campaign.reminded_on is None
            ):
                sent = _notify_sections(
                    campaign,
                    today,
                    subject=_("Reminder: validity check %(title)s") % {"title": campaign.title},
                    body=_("Some permissions are still to be confirmed; the deadline is %(deadline)s.")
                    % {"deadline": campaign.deadline.isoformat()},
                    undecided_only=True,
                )
                campaign.reminded_on = today
                campaign.save(update_fields=["reminded_on"])
                audit_record(
                    actor=None,
                    actor_label="kengen run-due",
                    action=AuditAction.REVIEW_REMINDED,
                    target=campaign,
                    new={"recipients": sent},
                )
                due.reminded += 1
    return due


# --- evidence and schedules --------------------------------------------------------------------


@transaction.atomic
def evidence_attach(
    *,
    actor: Actor,
    campaign: ReviewCampaign,
    filename: str,
    content: bytes,
    organization_id: int | None = None,
) -> ReviewEvidence:
    """Attach a scanned, signed check sheet (PDF, PNG, JPEG or TIFF) as evidence (A5.10)."""
    if actor is None or not ReviewCampaign.objects.restrict(actor).filter(pk=campaign.pk).exists():
        raise NotFound(_("Not found."))
    if not content:
        raise RuleViolation(_("The file is empty."), field="file")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise RuleViolation(_("The file is larger than 20 MB."), field="file")
    content_type = next((t for magic, t in EVIDENCE_TYPES.items() if content.startswith(magic)), None)
    if content_type is None:
        raise RuleViolation(_("Attach a scan as PDF, PNG, JPEG or TIFF."), field="file")
    name = (filename or "scan").strip().replace("\x00", "")[-200:]
    digest = hashlib.sha256(content).hexdigest()
    evidence = ReviewEvidence.objects.create(
        campaign=campaign,
        organization_id=organization_id,
        filename=name,
        content_type=content_type,
        content=content,
        sha256=digest,
        size=len(content),
        uploaded_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW_EVIDENCE_ATTACHED,
        target=campaign,
        new={"evidence": evidence.pk, "filename": name, "sha256": digest, "size": len(content)},
    )
    return evidence


@transaction.atomic
def schedule_create(
    *,
    actor: Actor,
    title: str,
    systems: Sequence[System],
    next_on: dt.date,
    interval_months: int = 12,
    deadline_days: int = 30,
    kind: str = CampaignKind.SYSTEMS,
) -> ReviewSchedule:
    """Schedule campaigns (e.g. yearly per system; more often for specific personal information)."""
    systems = _systems_of_kind(kind, systems)
    _require_campaign_admin(actor, systems)
    if actor is None:
        raise PermissionDenied(_("Schedules are created by an administrator."))
    if not title.strip():
        raise RuleViolation(_("Give the schedule a title."), field="title")
    if not 1 <= interval_months <= 60:
        raise RuleViolation(_("Every 1 to 60 months."), field="interval_months")
    if not 1 <= deadline_days <= 365:
        raise RuleViolation(_("Between 1 and 365 days to decide."), field="deadline_days")
    schedule = ReviewSchedule.objects.create(
        title=title.strip(),
        kind=kind,
        next_on=next_on,
        interval_months=interval_months,
        deadline_days=deadline_days,
        created_by=actor,
    )
    schedule.systems.set(systems)
    audit_record(
        actor=actor,
        action=AuditAction.REVIEW_SCHEDULED,
        target=schedule,
        new={
            "title": schedule.title,
            "systems": [s.code for s in systems],
            "next_on": next_on,
            "interval_months": interval_months,
        },
    )
    return schedule


# --- reconciliation (A5.10) --------------------------------------------------------------------


@dataclass
class ColumnMapping:
    """Which column of the export holds what (header names as the system writes them)."""

    user_id: str
    permissions: str = ""
    last_sign_in: str = ""
    separator: str = ";"


@dataclass(slots=True)
class ExportRow:
    line: int
    user_id: str
    permissions: frozenset[str]
    last_sign_in: dt.date | None


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("cp932")


def _table_rows(content: bytes, filename: str) -> Iterable[tuple[int, list[str]]]:
    if filename.lower().endswith(".xlsx") or content.startswith(b"PK\x03\x04"):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield (
                n,
                [
                    "" if v is None else (v.date().isoformat() if isinstance(v, dt.datetime) else str(v))
                    for v in row
                ],
            )
        return
    reader = csv.reader(io.StringIO(_decode(content), newline=""))
    yield from enumerate(reader, start=1)


def _parse_date(value: str) -> dt.date:
    value = value.strip()
    if len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return dt.date.fromisoformat(value)  # the usual YYYY-MM-DD, without strptime's locale work
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return dt.datetime.strptime(value[:19], fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def parse_export(content: bytes, filename: str, mapping: ColumnMapping) -> list[ExportRow]:
    """The export's rows; a bad row refuses the whole file, naming the row and the column."""
    rows = iter(_table_rows(content, filename))
    try:
        _line, header = next(rows)
    except StopIteration:
        raise RuleViolation(_("The file is empty."), field="file") from None
    header = [h.strip() for h in header]
    index: dict[str, int] = {}
    for key in ("user_id", "permissions", "last_sign_in"):
        col = getattr(mapping, key).strip()
        if not col:
            continue
        if col not in header:
            raise RuleViolation(
                _("Column %(col)s is not in the file (it has: %(have)s).")
                % {"col": col, "have": ", ".join(header)},
                field=key,
            )
        index[key] = header.index(col)
    if "user_id" not in index:
        raise RuleViolation(_("Say which column holds the user ID."), field="user_id")
    out: list[ExportRow] = []
    seen: set[str] = set()
    sep = mapping.separator or ";"
    dates: dict[str, dt.date] = {}  # an export has few distinct sign-in dates: parse each once
    uid_at = index["user_id"]
    perms_at = index.get("permissions", -1)
    last_at = index.get("last_sign_in", -1)
    perm_sets: dict[str, frozenset[str]] = {}  # the same permission lists recur: split each once
    for line, cells in rows:
        if not "".join(cells).strip():
            continue
        width = len(cells)
        cell = cells[uid_at].strip() if uid_at < width else ""
        if not cell:
            raise RuleViolation(_("Row %(n)d: the user ID is empty.") % {"n": line}, field="user_id")
        if cell in seen:
            raise RuleViolation(
                _("Row %(n)d: user ID %(uid)s appears twice.") % {"n": line, "uid": cell}, field="user_id"
            )
        seen.add(cell)
        perms: frozenset[str] = frozenset()
        if 0 <= perms_at < width:
            text = cells[perms_at]
            found = perm_sets.get(text)
            if found is None:
                found = perm_sets[text] = frozenset(p.strip() for p in text.split(sep) if p.strip())
            perms = found
        last: dt.date | None = None
        if 0 <= last_at < width and (raw := cells[last_at]).strip():
            try:
                last = dates.get(raw) or dates.setdefault(raw, _parse_date(raw))
            except ValueError:
                raise RuleViolation(
                    _("Row %(n)d: %(value)s in column %(col)s is not a date (YYYY-MM-DD).")
                    % {"n": line, "value": raw[:40], "col": mapping.last_sign_in},
                    field="last_sign_in",
                ) from None
        out.append(ExportRow(line, cell, perms, last))
    return out


@dataclass(slots=True)
class FindingRow:
    """A difference found, before it is stored as a :class:`Finding` (plain values, no model)."""

    category: str
    user_id: str
    person_id: int | None = None
    on_system: str = ""
    in_file: str = ""
    last_sign_in: dt.date | None = None


def _rows_of(queryset: QuerySet) -> list[tuple[Any, ...]]:
    """A ``values_list`` query's rows as the driver returns them (no per-row ORM work)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def compare_with_file(
    system: System, rows: Sequence[ExportRow], as_of: dt.date, unused_days: int | None
) -> list[FindingRow]:
    """The differences between the system's list and the management file as of ``as_of``:
    orphan accounts, missing accounts, permission mismatches, leavers' accounts and unused ones.

    One hash join in Python: the file side (IDs in force with their holders and permission codes)
    is read in two indexed queries, and every export row is looked up once. The permission lists
    are compared as sets and written as sorted ``;``-joined codes."""
    root = system.account_system
    accounts = dict(
        _rows_of(
            Account.objects.filter(active_on_q(as_of), system_id=root.id)
            .order_by("user_id", "valid_from")
            .values_list("user_id", "person_id")
        )
    )
    codes: dict[str, set[str]] = defaultdict(set)
    for uid, code in _rows_of(
        Grant.objects.filter(active_on_q(as_of), active_on_q(as_of, "account__"), account__system_id=root.id)
        .order_by()
        .values_list("account__user_id", "permission__code")
    ):
        codes[uid].add(code)
    held = {uid: frozenset(c) for uid, c in codes.items()}
    del codes
    in_file: dict[str, str] = {}

    def file_codes(uid: str) -> str:
        text = in_file.get(uid)
        if text is None:
            text = in_file[uid] = ";".join(sorted(held.get(uid, ())))
        return text

    # Every ID ever registered on the system (an ended ID still on the system is a leaver's).
    ended = {
        uid: person
        for uid, person in Account.objects.filter(system_id=root.id)
        .exclude(active_on_q(as_of))
        .values_list("user_id", "person_id")
        if uid not in accounts
    }
    appointed = {
        p
        for (p,) in _rows_of(
            Appointment.objects.filter(
                active_on_q(as_of),
                person_id__in=Account.objects.filter(system_id=root.id).values("person_id"),
            )
            .order_by()
            .values_list("person_id")
        )
    }
    leaver, mismatch, orphan = FindingCategory.LEAVER, FindingCategory.MISMATCH, FindingCategory.ORPHAN
    unused = FindingCategory.UNUSED
    empty: frozenset[str] = frozenset()
    oldest = as_of - dt.timedelta(days=unused_days) if unused_days is not None else None
    findings: list[FindingRow] = []
    on_system: set[str] = set()
    for row in rows:
        uid = row.user_id
        on_system.add(uid)
        perms = ";".join(sorted(row.permissions)) if row.permissions else ""
        last = row.last_sign_in
        if uid in accounts:
            person = accounts[uid]
            if person is not None and person not in appointed:
                findings.append(FindingRow(leaver, uid, person, perms, file_codes(uid), last))
            elif row.permissions and row.permissions != held.get(uid, empty):
                findings.append(FindingRow(mismatch, uid, person, perms, file_codes(uid), last))
            if oldest is not None and last is not None and last < oldest:  # more than N days before
                findings.append(FindingRow(unused, uid, person, perms, file_codes(uid), last))
        elif uid in ended:
            findings.append(FindingRow(leaver, uid, ended[uid], perms, "", last))
        else:
            findings.append(FindingRow(orphan, uid, None, perms, "", last))
    for uid, person in accounts.items():
        if uid not in on_system:
            findings.append(FindingRow(FindingCategory.MISSING, uid, person, "", file_codes(uid)))
    return findings


FINDING_COLUMNS = (
    "reconciliation_id",
    "category",
    "user_id",
    "person_id",
    "on_system",
    "in_file",
    "last_sign_in",
    "status",
    "note",
)


@transaction.atomic
def reconciliation_import(
    *,
    actor: Actor,
    system: System,
    as_of: dt.date,
    content: bytes,
    filename: str,
    mapping: ColumnMapping,
    unused_days: int | None = None,
) -> Reconciliation:
    """Import a system's account list and keep every difference with the file as a finding (A5.10).
    The whole file is read before anything is written: a bad row refuses it all."""
    require_file_administrator(actor, system)
    if unused_days is not None and unused_days < 1:
        raise RuleViolation(_("Give a number of days of at least 1."), field="unused_days")
    rows = parse_export(content, filename, mapping)
    run = Reconciliation.objects.create(
        system=system,
        as_of=as_of,
        unused_days=unused_days,
        filename=(filename or "export")[-200:],
        row_count=len(rows),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    # The export's rows are kept only for what nothing else holds: the last sign-in shown in the
    # campaigns' matrix. Rows without one (or exports without the column) are not stored at all.
    write_rows(
        ImportedAccount._meta.db_table,
        ["reconciliation_id", "user_id", "permissions", "last_sign_in"],
        (
            (run.pk, r.user_id[:64], ";".join(sorted(r.permissions))[:1000], r.last_sign_in)
            for r in rows
            if r.last_sign_in is not None
        ),
    )
    findings = compare_with_file(system, rows, as_of, unused_days)
    categories = {c.value: str(c.value) for c in FindingCategory}  # plain str for COPY
    write_rows(
        Finding._meta.db_table,
        FINDING_COLUMNS,
        (
            (
                run.pk,
                categories[f.category],
                f.user_id[:64],
                f.person_id,
                f.on_system[:1000],
                f.in_file[:1000],
                f.last_sign_in,
                str(FindingStatus.OPEN.value),
                "",
            )
            for f in findings
        ),
    )
    counts: dict[str, int] = defaultdict(int)
    for f in findings:
        counts[f.category] += 1
    audit_record(
        actor=actor,
        action=AuditAction.RECONCILIATION_IMPORTED,
        target=run,
        new={"system": system.code, "as_of": as_of, "rows": len(rows), "findings": dict(counts)},
    )
    return run


_FINDING_MOVES: dict[str, set[str]] = {
    FindingStatus.OPEN: {FindingStatus.TASK, FindingStatus.ACCEPTED},
    FindingStatus.TASK: {FindingStatus.DONE, FindingStatus.ACCEPTED},
    FindingStatus.DONE: set(),
    FindingStatus.ACCEPTED: set(),
}


@transaction.atomic
def finding_update(*, actor: Actor, finding: Finding, status: str, note: str = "") -> Finding:
    """A finding becomes a correction task for the system's administrator, tracked to done, or is
    accepted with a reason (A5.11)."""
    locked = (
        Finding.objects.select_for_update(of=("self",))
        .select_related("reconciliation__system")
        .get(pk=finding.pk)
    )
    system = locked.reconciliation.system
    require_file_administrator(actor, system)
    if status not in _FINDING_MOVES.get(locked.status, set()):
        raise Conflict(
            _("A finding that is %(now)s cannot become %(then)s.")
            % {"now": FindingStatus(locked.status).label, "then": status}
        )
    if status == FindingStatus.ACCEPTED and not note.strip():
        raise RuleViolation(_("State why the difference is accepted."), clause="A5.11", field="note")
    old = {"status": locked.status, "note": locked.note}
    locked.status = status
    if note.strip():
        locked.note = note.strip()[:300]
    if status in (FindingStatus.DONE, FindingStatus.ACCEPTED):
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor if getattr(actor, "pk", None) else None
    locked.save(update_fields=["status", "note", "resolved_at", "resolved_by"])
    audit_record(
        actor=actor,
        action=AuditAction.FINDING_UPDATED,
        target=locked,
        old=old,
        new={"status": status, "note": locked.note, "user_id": locked.user_id, "category": locked.category},
    )
    if status == FindingStatus.TASK:
        notification_send(
            recipients=list(administrators_of(system, timezone.localdate())),
            clause="A5.11",
            subject=_("Correction task: %(uid)s on %(system)s")
            % {"uid": locked.user_id, "system": system.name},
            body=_("%(category)s. Correct the system or the management file and mark the task done.")
            % {"category": FindingCategory(locked.category).label},
            target=locked,
            link=reverse("reviews:reconciliation", args=[locked.reconciliation_id]),
        )
    return locked
