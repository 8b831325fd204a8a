"""An audit event told in words an auditor reads without an engineer: who (a person, or what kind
of automatic processing), what (the event kind's Japanese label), to what (the kind of object, its
name and a link to it), on which application (a link), and the change field by field
(項目: 変更前 → 変更後) with Japanese field labels, era dates and choice labels instead of codes.

Used by the audit log's list, detail page and CSV/Excel export, so all three say the same thing.
Other apps' models are reached through the app registry by the label the event stores
(``applications.application``), never imported: audit sits below them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kengen.audit.models import AuditEvent
from kengen.core.era import wareki, wareki_datetime

#: Who acted when no person did: the labels services record, in words.
SYSTEM_ACTORS = {
    "system": gettext_lazy("Kengen (automatic processing)"),
    "kengen run-due": gettext_lazy("Scheduled processing (kengen run-due)"),
    "api-token": gettext_lazy("API token"),
    "system-api-key": gettext_lazy("System API key (verify API)"),
    "anonymous": gettext_lazy("Unknown (not signed in)"),
}

#: The page of an object, by the label an event stores as its target type.
OBJECT_URLS = {
    "applications.application": "applications:detail",
    "organizations.organization": "organizations:detail",
    "people.person": "people:detail",
    "systems.system": "systems:detail",
    "terminals.biometricenrolment": "terminals:detail",
    "viewing.viewinglending": "viewing:detail",
    "credentials.passwordapplication": "credentials:form2_detail",
    "grants.account": "credentials:account",
}

#: Keys that events record without a model field of the same name.
EXTRA_LABELS = {
    "name": gettext_lazy("Name"),
    "rows": gettext_lazy("Rows"),
    "format": gettext_lazy("File format"),
    "filters": gettext_lazy("Filters"),
    "as_of": gettext_lazy("As of"),
    "on": gettext_lazy("Date"),
    "reason": gettext_lazy("Reason"),
    "source": gettext_lazy("Source"),
    "profile": gettext_lazy("Profile"),
    "title": gettext_lazy("Title"),
    "effective": gettext_lazy("Effective from"),
    "count": gettext_lazy("Count"),
    "permission_system": gettext_lazy("System of the permission"),
    "units": gettext_lazy("Units"),
    "unit": gettext_lazy("Unit"),
    "path": gettext_lazy("Page"),
    "method": gettext_lazy("Method"),
    "lines": gettext_lazy("Lines"),
    "status": gettext_lazy("Status"),
}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
EMPTY = "—"


@dataclass
class Value:
    text: str
    url: str = ""


@dataclass
class FieldChange:
    key: str
    label: str
    before: Value | None  # None: the field was not there before (a creation)
    after: Value | None  # None: the field is not there after (a deletion)

    @property
    def changed(self) -> bool:
        return (self.before.text if self.before else None) != (self.after.text if self.after else None)


@dataclass
class EventView:
    event: AuditEvent
    actor: str
    actor_is_person: bool
    action: str
    target_kind: str
    target_url: str
    application_url: str
    changes: list[FieldChange] = field(default_factory=list)

    def changes_text(self) -> str:
        """項目: 変更前 → 変更後, one line per field (the export's column)."""
        lines = []
        for c in self.changes:
            before = c.before.text if c.before else ""
            after = c.after.text if c.after else ""
            if c.before is not None and c.after is not None:
                lines.append(f"{c.label}: {before} → {after}")
            else:
                lines.append(f"{c.label}: {after or before}")
        return "\n".join(lines)


def _model(label: str) -> type[models.Model] | None:
    if "." not in label:
        return None
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, key: str) -> Any:
    if model is None or not key:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _url(name: str, pk: Any) -> str:
    try:
        return reverse(name, args=[int(pk)])
    except (NoReverseMatch, TypeError, ValueError):
        return ""


def _field_labels() -> dict[str, str]:
    """Every Kengen model field's verbose name by field name (first one wins), the fallback label."""
    labels: dict[str, str] = {}
    for model in apps.get_models():
        if not model.__module__.startswith("kengen."):
            continue
        for f in model._meta.get_fields():
            name = getattr(f, "name", "")
            verbose = getattr(f, "verbose_name", None)
            if name and verbose and name not in labels:
                labels[name] = str(verbose)
    return labels


class Describer:
    """Describes events; remembers the objects it looked up (an export describes many events)."""

    def __init__(self) -> None:
        self._labels = _field_labels()
        self._objects: dict[tuple[str, Any], str] = {}

    # --- parts ---------------------------------------------------------------------------------

    def actor(self, event: AuditEvent) -> tuple[str, bool]:
        user = event.actor
        if user is not None:
            person = getattr(user, "person", None)
            if person is not None:
                return f"{person.full_name}（{user.username}）", True
            return str(user), True
        label = event.actor_label
        if label in SYSTEM_ACTORS:
            return str(SYSTEM_ACTORS[label]), False
        if event.action in ("auth.login_failed", "auth.access_denied") and label:
            return _("%(name)s (not signed in)") % {"name": label}, False
        return label or str(SYSTEM_ACTORS["system"]), False

    def target_kind(self, event: AuditEvent) -> str:
        model = _model(event.target_type)
        return str(model._meta.verbose_name) if model is not None else ""

    def label(self, model: type[models.Model] | None, key: str) -> str:
        verbose = getattr(_field(model, key), "verbose_name", None)
        if verbose:
            return str(verbose)
        if key in EXTRA_LABELS:
            return str(EXTRA_LABELS[key])
        return self._labels.get(key, key)

    def _related(self, related: type[models.Model], value: Any) -> Value:
        label_key = (related._meta.label_lower, value)
        if label_key not in self._objects:
            obj = None
            if isinstance(value, int):
                obj = related._default_manager.filter(pk=value).first()
            elif isinstance(value, str) and any(f.name == "code" for f in related._meta.fields):
                obj = related._default_manager.filter(code=value).first()
            self._objects[label_key] = str(obj) if obj is not None else str(value)
        pk = value if isinstance(value, int) else None
        url_name = OBJECT_URLS.get(related._meta.label_lower)
        return Value(self._objects[label_key], _url(url_name, pk) if url_name and pk is not None else "")

    def value(self, model: type[models.Model] | None, key: str, value: Any) -> Value:
        if value is None or value == "" or value == [] or value == {}:
            return Value(EMPTY)
        if isinstance(value, bool):
            return Value(_("Yes") if value else _("No"))
        f = _field(model, key)
        if f is not None and getattr(f, "choices", None):
            choices = {str(k): str(v) for k, v in f.choices}
            if isinstance(value, str | int) and str(value) in choices:
                return Value(choices[str(value)])
        if (
            f is not None
            and f.is_relation
            and f.related_model is not None
            and not isinstance(value, list | dict)
        ):
            related = f.related_model
            if isinstance(related, type):
                return self._related(related, value)
        if isinstance(value, list):
            return Value("、".join(self.value(model, key, v).text for v in value))
        if isinstance(value, dict):
            return Value(
                "; ".join(f"{self.label(None, k)}: {self.value(None, k, v).text}" for k, v in value.items())
            )
        if isinstance(value, str):
            if _DATE.match(value):
                try:
                    return Value(wareki(dt.date.fromisoformat(value)))
                except ValueError:
                    return Value(value)
            if _DATETIME.match(value):
                try:
                    moment = dt.datetime.fromisoformat(value)
                except ValueError:
                    return Value(value)
                if timezone.is_aware(moment):
                    moment = timezone.localtime(moment)
                return Value(wareki_datetime(moment))
        return Value(str(value))

    def changes(self, event: AuditEvent) -> list[FieldChange]:
        model = _model(event.target_type)
        old = event.old if isinstance(event.old, dict) else ({} if event.old is None else {"": event.old})
        new = event.new if isinstance(event.new, dict) else ({} if event.new is None else {"": event.new})
        keys = list(old) + [k for k in new if k not in old]
        out = []
        for key in keys:
            out.append(
                FieldChange(
                    key=key,
                    label=self.label(model, key) if key else _("Value"),
                    before=self.value(model, key, old[key]) if key in old else None,
                    after=self.value(model, key, new[key]) if key in new else None,
                )
            )
        return out

    def application_url(self, event: AuditEvent) -> str:
        ref = event.application_ref
        if not ref:
            return ""
        for label, url_name in (
            ("applications.application", "applications:detail"),
            ("credentials.passwordapplication", "credentials:form2_detail"),
        ):
            model = _model(label)
            if model is None:
                continue
            pk = model._default_manager.filter(number=ref).values_list("pk", flat=True).first()
            if pk is not None:
                return _url(url_name, pk)
        return ""

    # --- the whole event -----------------------------------------------------------------------

    def describe(self, event: AuditEvent) -> EventView:
        actor, is_person = self.actor(event)
        url_name = OBJECT_URLS.get(event.target_type)
        return EventView(
            event=event,
            actor=actor,
            actor_is_person=is_person,
            action=str(event.get_action_display()),
            target_kind=self.target_kind(event),
            target_url=_url(url_name, event.target_id) if url_name and event.target_id else "",
            application_url=self.application_url(event),
            changes=self.changes(event),
        )


def describe_events(events: Iterable[AuditEvent]) -> list[EventView]:
    describer = Describer()
    return [describer.describe(e) for e in events]
