"""A proposed personnel change, as the preview engine, the apply service, the scheduler, the UI,
the API and the CLI all pass it around (and as a scheduled change stores it, in JSON)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kengen.core.exceptions import NotFound, RuleViolation
from kengen.organizations.models import Organization, Post
from kengen.people.choices import AppointmentEndReason
from kengen.people.models import Assignment, Person
from kengen.personnel.choices import ChangeKind


@dataclass(frozen=True)
class NewPerson:
    """Who a new hire is (A2.4: staff have a staff number)."""

    staff_number: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    email: str = ""

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"


@dataclass(frozen=True)
class PersonnelChange:
    """One change to one person, taking effect on the date it is applied with.

    - ``HIRE``: ``new_person``, ``employment_type``, ``appointment_to`` (exclusive end; fixed-term
      types need one), ``organization`` and ``post``;
    - ``APPOINTMENT``: an appointment of ``person`` from the date (a fiscal-year renewal), with
      ``employment_type`` and ``appointment_to``; optionally ``organization``/``post`` to assign them;
    - ``MOVE``: ``person``'s ``assignment`` (default: their primary assignment on the date) ends and
      they start in ``organization`` with ``post`` (default: the same post) — transfer or promotion;
    - ``END``: ``person``'s appointment ends on the date (the first day no longer employed), with
      ``reason`` (retirement, end of term …); their assignments end with it.
    """

    kind: str
    person: Person | None = None
    new_person: NewPerson | None = None
    employment_type: str = ""
    appointment_to: dt.date | None = None
    organization: Organization | None = None
    post: Post | None = None
    assignment: Assignment | None = None
    reason: str = ""

    @property
    def name(self) -> str:
        if self.person is not None:
            return self.person.full_name
        return self.new_person.full_name if self.new_person else ""

    def describe(self) -> str:
        """One line for lists and notices."""
        label = str(ChangeKind(self.kind).label)
        parts = [label, self.name]
        if self.organization is not None:
            parts.append(self.organization.name)
        if self.post is not None:
            parts.append(self.post.name)
        if self.kind == ChangeKind.END and self.reason:
            parts.append(str(AppointmentEndReason(self.reason).label))
        return " / ".join(p for p in parts if p)

    def to_payload(self) -> dict[str, Any]:
        """JSON for a scheduled change (ids, never objects)."""
        return {
            "kind": self.kind,
            "person": self.person.pk if self.person else None,
            "new_person": self.new_person.__dict__ if self.new_person else None,
            "employment_type": self.employment_type,
            "appointment_to": self.appointment_to.isoformat() if self.appointment_to else None,
            "organization": self.organization.pk if self.organization else None,
            "post": self.post.pk if self.post else None,
            "assignment": self.assignment.pk if self.assignment else None,
            "reason": self.reason,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> PersonnelChange:
        def get(model, pk):
            if pk is None:
                return None
            obj = model.objects.filter(pk=pk).first()
            if obj is None:
                raise NotFound(_("Something this change names no longer exists."))
            return obj

        if data.get("kind") not in ChangeKind.values:
            raise RuleViolation(_("Unknown kind of change."), field="kind")
        return cls(
            kind=data["kind"],
            person=get(Person, data.get("person")),
            new_person=NewPerson(**data["new_person"]) if data.get("new_person") else None,
            employment_type=data.get("employment_type") or "",
            appointment_to=dt.date.fromisoformat(data["appointment_to"])
            if data.get("appointment_to")
            else None,
            organization=get(Organization, data.get("organization")),
            post=get(Post, data.get("post")),
            assignment=get(Assignment, data.get("assignment")),
            reason=data.get("reason") or "",
        )
