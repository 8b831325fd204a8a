"""The home page's charts (grants per system, grants ending soon, open applications by age,
password ages, pending biometric enrolments, validity-check progress per section), drawn as inline
SVG on the server: no script, no external asset, readable without colour (every bar is labelled
with its value, and each chart carries a text description for screen readers).

Kept apart from ``views.home`` (a template tag and its own partial, ``dashboard/_charts.html``) so
the tiles and the charts can change independently."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kengen.applications.models import Application
from kengen.core.models import active_on_q
from kengen.credentials.models import Credential
from kengen.dashboard.figures import kept
from kengen.grants.models import Grant
from kengen.reviews.choices import CampaignStatus
from kengen.reviews.models import ReviewCampaign
from kengen.reviews.selectors import campaign_progress
from kengen.roles.selectors import scope_for
from kengen.terminals.models import BiometricEnrolment
from kengen.workflow.choices import WorkflowStatus

BAR_COLOUR = "#0017c1"  # デジタル庁 blue-900 (AA on white)
TRACK_COLOUR = "#e8f1fe"


@dataclass
class Chart:
    key: str
    title: str
    svg: SafeString
    empty: bool


def bar_chart(key: str, title: str, bars: Sequence[tuple[str, int]], *, total: int | None = None) -> Chart:
    """Horizontal bars, one per (label, value); ``total`` makes them progress bars out of it."""
    width, label_w, row_h = 480, 170, 26
    height = max(1, len(bars)) * row_h + 8
    top = total or max([v for _label, v in bars] or [1]) or 1
    desc = "; ".join(f"{label}: {value}" for label, value in bars) or _("No data")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kg-chart" role="img" aria-labelledby="chart-{key}-t '
        f'chart-{key}-d" viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="chart-{key}-t">{escape(title)}</title><desc id="chart-{key}-d">{escape(desc)}</desc>',
    ]
    span = width - label_w - 60
    for n, (label, value) in enumerate(bars):
        y = 4 + n * row_h
        w = 0 if not top else round(span * value / top)
        shown = f"{value} / {total}" if total else str(value)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12" fill="#1a1a1a">'
            f"{escape(label[:22])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{span}" height="16" fill="{TRACK_COLOUR}"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="16" fill="{BAR_COLOUR}"/>'
            f'<text x="{label_w + w + 4}" y="{y + 16}" font-size="12" fill="#1a1a1a">{escape(shown)}</text>'
        )
    if not bars:
        parts.append(f'<text x="4" y="20" font-size="12" fill="#666">{escape(_("No data"))}</text>')
    parts.append("</svg>")
    return Chart(key=key, title=title, svg=mark_safe("".join(parts)), empty=not bars)


def _age_buckets(ages: Sequence[int], edges: Sequence[tuple[int, str]], last: str) -> list[tuple[str, int]]:
    counts = [0] * (len(edges) + 1)
    for a in ages:
        for i, (edge, _label) in enumerate(edges):
            if a <= edge:
                counts[i] += 1
                break
        else:
            counts[-1] += 1
    labels = [label for _e, label in edges] + [last]
    return list(zip(labels, counts, strict=True))


@dataclass(frozen=True)
class _ChartData:
    """What the charts are drawn from: counts, the local dates the age charts bucket against today,
    and the open validity check's progress. Kept per user (``figures.kept``)."""

    per_system: list[tuple[str, int]]
    ends: list[dt.date]
    application_created: list[dt.date]
    password_changed: list[dt.date | None]
    enrolment_created: list[dt.date]
    campaign_title: str | None
    progress: list[tuple[str, int, int]]

    def size(self) -> int:
        return (
            len(self.ends)
            + len(self.application_created)
            + len(self.password_changed)
            + len(self.enrolment_created)
        )


def _local_dates(moments) -> list:
    """Each moment's date in the city's time zone (``None`` stays: a password never set)."""
    return [timezone.localdate(m) if m is not None else None for m in moments]


def _chart_data(user, today: dt.date, limit: int) -> _ChartData:
    """Every figure through ``restrict``."""
    grants = Grant.objects.restrict(user, "view", on=today).filter(active_on_q(today))
    per_system = (
        grants.values_list("account__system__name")
        .annotate(n=Count("id"))
        .order_by("-n", "account__system__name")[:10]
    )
    soon = grants.filter(
        valid_to__isnull=False, valid_to__gt=today, valid_to__lte=today + dt.timedelta(days=31)
    )
    open_apps = Application.objects.restrict(user, "view").filter(
        status__in=[WorkflowStatus.DRAFT, WorkflowStatus.SUBMITTED]
    )
    held = Credential.objects.restrict(user).exclude(verifier="")
    pending = BiometricEnrolment.objects.restrict(user).pending()
    campaign = (
        ReviewCampaign.objects.restrict(user)
        .filter(status=CampaignStatus.OPEN)
        .order_by("deadline", "pk")
        .first()
    )
    progress = []
    if campaign is not None:
        progress = [(p.name, p.decided, p.total) for p in campaign_progress(user, campaign)[:12]]
    return _ChartData(
        per_system=[(s, n) for s, n in per_system],
        ends=[d for d in soon.values_list("valid_to", flat=True)[:limit] if d is not None],
        application_created=_local_dates(open_apps.values_list("created_at", flat=True)[:limit]),
        password_changed=_local_dates(held.values_list("changed_at", flat=True)[:limit]),
        enrolment_created=_local_dates(pending.values_list("created_at", flat=True)[:limit]),
        campaign_title=campaign.title if campaign is not None else None,
        progress=progress,
    )


def dashboard_charts(user, *, today: dt.date | None = None, limit: int = 50_000) -> list[Chart]:
    """The charts the user's roles call for; every count goes through ``restrict``."""
    today = today or timezone.localdate()
    scope = scope_for(user)
    charts: list[Chart] = []
    broad = scope.is_officer or bool(scope.administered_system_ids) or scope.sees_everything
    if not broad:
        return charts
    data = kept(user, today, f"charts-{limit}", lambda: _chart_data(user, today, limit), _ChartData.size)
    charts.append(bar_chart("grants", _("Permissions in force per system"), data.per_system))
    weeks = [(8, _("Within 7 days")), (15, _("8–14 days")), (22, _("15–21 days")), (31, _("22–30 days"))]
    charts.append(
        bar_chart(
            "ending",
            _("Permissions ending in the next 30 days"),
            _age_buckets([(d - today).days for d in data.ends], weeks[:-1], weeks[-1][1]),
        )
    )
    # Ages in calendar days (today − the local date it happened), as a city hall counts them: the
    # charts depend on the date, not the time of day, so the home page's body can be kept for it.
    ages = [(today - d).days for d in data.application_created]
    charts.append(
        bar_chart(
            "applications",
            _("Open applications by age"),
            _age_buckets(
                ages, [(7, _("Up to 7 days")), (30, _("8–30 days")), (90, _("31–90 days"))], _("Over 90 days")
            ),
        )
    )
    changed = data.password_changed
    never = sum(1 for c in changed if c is None)
    pw = _age_buckets(
        [(today - c).days for c in changed if c is not None],
        [(30, _("Up to 30 days")), (90, _("31–90 days")), (180, _("91–180 days"))],
        _("Over 180 days"),
    )
    charts.append(bar_chart("passwords", _("Password age (held by Kengen)"), [*pw, (_("Never set"), never)]))
    p_ages = [(today - d).days for d in data.enrolment_created]
    charts.append(
        bar_chart(
            "enrolments",
            _("Biometric enrolments pending"),
            _age_buckets(p_ages, [(7, _("Up to 7 days")), (30, _("8–30 days"))], _("Over 30 days")),
        )
    )
    if data.campaign_title is not None:
        title = _("Validity check progress per section: %(title)s") % {"title": data.campaign_title}
        charts.append(_progress_chart("reviews", title, data.progress))
    return charts


def _progress_chart(key: str, title: str, rows: Sequence[tuple[str, int, int]]) -> Chart:
    width, label_w, row_h = 480, 170, 26
    height = len(rows) * row_h + 8
    span = width - label_w - 80
    desc = "; ".join(f"{label}: {d} / {t}" for label, d, t in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kg-chart" role="img" aria-labelledby="chart-{key}-t '
        f'chart-{key}-d" viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="chart-{key}-t">{escape(title)}</title><desc id="chart-{key}-d">{escape(desc)}</desc>',
    ]
    for n, (label, decided, total) in enumerate(rows):
        y = 4 + n * row_h
        w = round(span * decided / total) if total else span
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="12" fill="#1a1a1a">'
            f"{escape(label[:22])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{span}" height="16" fill="{TRACK_COLOUR}"/>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w}" height="16" fill="{BAR_COLOUR}"/>'
            f'<text x="{label_w + span + 4}" y="{y + 16}" font-size="12" fill="#1a1a1a">{decided} / {total}</text>'
        )
    parts.append("</svg>")
    return Chart(key=key, title=title, svg=mark_safe("".join(parts)), empty=False)
