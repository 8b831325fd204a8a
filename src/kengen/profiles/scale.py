"""Synthetic data at scale for benchmarks and planner tests: units, people, user IDs and grants
written set-wise (``COPY`` on PostgreSQL, ``executemany`` on SQLite), every value prepared by its
model field so the schema (types, defaults, constraints) is respected.

Not a service: it writes no audit events (the chain is generated separately by
``audit.services.audit_bulk_generate``) and is meant for an otherwise empty database."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from kengen.core.bulk import write_rows

START = dt.date(2024, 4, 1)


def next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1


#: Field classes whose database value *is* the Python value for ints and strings on both backends.
_PASSTHROUGH = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.CharField,
    models.TextField,
    models.ForeignKey,
)


def _preparer(model: type[models.Model]) -> Callable[[dict], tuple]:
    """A function turning a row dict into the tuple of database values, in column order. Each value
    is prepared by its field; ints and strings of plain integer/text fields pass as they are, and
    other values (dates, enum members, defaults) are prepared once per distinct value: preparing
    every value through the field was most of the Python time at millions of values."""
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    passthrough = [type(f).__module__.startswith("django.") and isinstance(f, _PASSTHROUGH) for f in fields]
    missing: list[Any] = []
    for f in fields:
        if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False):
            missing.append(now)
        elif f.has_default():
            missing.append(f.get_default if callable(f.default) else f.get_default())
        elif f.null:
            missing.append(None)
        else:
            missing.append("")
    memo: dict[tuple[int, Any], Any] = {}
    plan = list(
        zip(range(len(fields)), fields, [f.attname for f in fields], passthrough, missing, strict=True)
    )

    def prepared(row: dict) -> tuple:
        values = []
        for i, f, name, plain, default in plan:
            v = row[name] if name in row else (default() if callable(default) else default)
            if v is None or (plain and type(v) in (int, str)):
                values.append(v)
                continue
            try:
                key = (i, v)
                if key not in memo:
                    memo[key] = f.get_db_prep_save(v, connection)
                values.append(memo[key])
            except TypeError:  # unhashable
                values.append(f.get_db_prep_save(v, connection))
        return tuple(values)

    return prepared


def bulk_write(model: type[models.Model], rows: Iterable[dict]) -> int:
    """Insert ``rows`` (dicts of field attnames, ``id`` included) into ``model``'s table, in one
    transaction (SQLite otherwise commits, and syncs, every row)."""
    columns = [str(f.column) for f in model._meta.concrete_fields]
    table = model._meta.db_table
    prepared = _preparer(model)
    with transaction.atomic():
        n = write_rows(table, columns, map(prepared, rows))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))",  # noqa: S608 (model table)
                    [table],
                )
    return n


@dataclass
class Generated:
    people: int
    accounts: int
    grants: int
    units: int
    officer_person_ids: list[int]


FAMILY = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
FAMILY_KANA = [
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "イトウ",
    "ワタナベ",
    "ヤマモト",
    "ナカムラ",
    "コバヤシ",
    "カトウ",
]
GIVEN = ["花子", "一郎", "次郎", "美咲", "大輔", "陽子", "健太", "由美"]
GIVEN_KANA = ["ハナコ", "イチロウ", "ジロウ", "ミサキ", "ダイスケ", "ヨウコ", "ケンタ", "ユミ"]


def generate(
    *,
    people: int,
    grants_per_person: int = 10,
    divisions: int | None = None,
    seed: int = 1,
    direct_every: int = 0,
) -> Generated:
    """``people`` staff in ``divisions`` generated security units (課, two 係 each, under the
    first root unit), each with a head, three user IDs per person on the root systems that have
    permissions, and ``grants_per_person`` grants spread over them; about 5 % of grants ended.
    With ``direct_every`` = n, every n-th grant (by id) is a direct grant (A5.5), else an initial load."""
    from kengen.grants.models import Account, Grant
    from kengen.organizations.models import Organization, Post
    from kengen.people.models import Appointment, Assignment, Person
    from kengen.systems.models import System, SystemPermission

    rng = random.Random(seed)  # noqa: S311 (synthetic names, not secrets)
    divisions = divisions or max(2, people // 500)
    root = Organization.objects.filter(parent__isnull=True).order_by("id").first()
    if root is None:
        root = Organization.objects.create(code="SCALE", name="規模試験市", kind="city", valid_from=START)
    head_post = Post.objects.filter(is_head=True).order_by("rank", "id").first() or Post.objects.create(
        code="scale-head", name="課長", kana="カチョウ", is_head=True, rank=10
    )
    clerk_post = Post.objects.filter(is_head=False).order_by("-rank", "id").first() or Post.objects.create(
        code="scale-clerk", name="主事", kana="シュジ", rank=200
    )
    from kengen.organizations.choices import OrganizationKind

    division_kind, section_kind = OrganizationKind.DIVISION, OrganizationKind.SECTION

    org_id = next_id(Organization)
    orgs, sections, division_ids = [], [], []
    for d in range(divisions):
        did = org_id
        org_id += 1
        division_ids.append(did)
        orgs.append(
            dict(
                id=did,
                valid_from=START,
                code=f"SC{d:05d}",
                name=f"規模試験第{d}課",
                kana="キボシケン",
                kind=division_kind,
                parent_id=root.id,
                sort_order=1000 + d,
                is_security_unit=True,
            )
        )
        for s in range(2):
            orgs.append(
                dict(
                    id=org_id,
                    valid_from=START,
                    code=f"SC{d:05d}-{s}",
                    name=f"第{s}係",
                    kana="ダイカカリ",
                    kind=section_kind,
                    parent_id=did,
                    sort_order=s,
                    is_security_unit=False,
                )
            )
            sections.append(org_id)
            org_id += 1
    bulk_write(Organization, orgs)

    first_person = next_id(Person)
    person_ids = range(first_person, first_person + people)

    def person_rows() -> Iterator[dict]:
        for pid in person_ids:
            f, g = rng.randrange(len(FAMILY)), rng.randrange(len(GIVEN))
            yield dict(
                id=pid,
                kind="staff",
                staff_number=f"S{pid:08d}",
                family_name=FAMILY[f],
                given_name=GIVEN[g],
                family_name_kana=FAMILY_KANA[f],
                given_name_kana=GIVEN_KANA[g],
                email="",
            )

    bulk_write(Person, person_rows())
    heads = {division_ids[i % divisions]: person_ids[i] for i in range(min(divisions, people))}
    head_of = {pid: did for did, pid in heads.items()}
    first_assignment = next_id(Assignment)

    def assignment_rows() -> Iterator[dict]:
        for i, pid in enumerate(person_ids):
            if pid in head_of:
                yield dict(
                    id=first_assignment + i,
                    valid_from=START,
                    person_id=pid,
                    organization_id=head_of[pid],
                    post_id=head_post.id,
                    is_primary=True,
                )
            else:
                yield dict(
                    id=first_assignment + i,
                    valid_from=START,
                    person_id=pid,
                    organization_id=sections[i % len(sections)],
                    post_id=clerk_post.id,
                    is_primary=True,
                )

    bulk_write(Assignment, assignment_rows())
    first_appointment = next_id(Appointment)
    bulk_write(
        Appointment,
        (
            dict(id=first_appointment + i, valid_from=START, person_id=pid, employment_type="regular")
            for i, pid in enumerate(person_ids)
        ),
    )

    roots = list(
        System.objects.filter(parent__isnull=True, permissions__isnull=False)
        .distinct()
        .order_by("sort_order", "id")[:3]
    )
    perms: dict[int, list[int]] = {}
    for system in roots:
        perms[system.id] = list(
            SystemPermission.objects.filter(models.Q(system=system) | models.Q(system__parent=system))
            .order_by("id")
            .values_list("id", flat=True)
        )
    first_account, first_grant = next_id(Account), next_id(Grant)
    accounts_n = grants_n = 0
    account_rows: list[dict] = []
    account_of: list[tuple[int, int]] = []  # (account id, system id)
    aid = first_account
    for pid in person_ids:
        for system in roots:
            account_rows.append(
                dict(
                    id=aid,
                    valid_from=START,
                    system_id=system.id,
                    kind="personal",
                    user_id=f"{system.code[:4]}{pid:08d}",
                    person_id=pid,
                )
            )
            account_of.append((aid, system.id))
            aid += 1
    accounts_n = bulk_write(Account, account_rows)
    del account_rows
    ended_on = START + dt.timedelta(days=180)
    ended_at = timezone.now()

    def grant_rows() -> Iterator[dict]:
        gid = first_grant
        per_account = max(1, grants_per_person // max(1, len(roots)))
        for idx, (account_id, system_id) in enumerate(account_of):
            choices = perms[system_id]
            n = per_account + (1 if idx % len(roots) == 0 and grants_per_person % len(roots) else 0)
            picked = (
                rng.sample(choices, n) if len(choices) >= n else [choices[j % len(choices)] for j in range(n)]
            )
            for perm in picked:
                ended = rng.random() < 0.05
                yield dict(
                    id=gid,
                    valid_from=START,
                    valid_to=ended_on if ended else None,
                    account_id=account_id,
                    permission_id=perm,
                    purpose="duties",
                    basis="direct" if direct_every and gid % direct_every == 0 else "initial_load",
                    basis_reference="scale",
                    end_reason="expired" if ended else "",
                    ended_at=ended_at if ended else None,
                )
                gid += 1

    grants_n = bulk_write(Grant, grant_rows())
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            for m in (Organization, Person, Assignment, Appointment, Account, Grant):
                c.execute(f"ANALYZE {m._meta.db_table}")
    return Generated(people, accounts_n, grants_n, len(orgs), list(heads.values()))
