"""別記様式1 システム使用者の操作権限登録(解除)申請書 as a printable A4 PDF (F1, A5.2, A6.2).

``render_form1(application)`` lays the application out as a Japanese municipal form: the date and
number top right, the addressee (the administrator the route goes to), the applying unit and its
security officer, the title, the sentence citing Art. 5(2) (Art. 6(2) for two-factor terminals),
the purpose (A10) and reason, one table row per line, and the administrator's box at the bottom.
``render_form1(None)`` gives the blank form to fill in by hand.

Text is set in ReportLab's built-in Japanese CID fonts (HeiseiMin-W3 for the body, HeiseiKakuGo-W5
for headings), which are not embedded: every Japanese PC supplies the glyphs. Dates are in the
Japanese era; ``valid_to`` is exclusive, so the inclusive last day is printed. The form never
carries a password or token: there is none in an application, and none is added here.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kengen.applications.choices import ApplicationStatus, LineAction, Route
from kengen.core.era import wareki
from kengen.core.models import last_day
from kengen.grants.choices import Purpose

if TYPE_CHECKING:
    from kengen.applications.models import Application, ApplicationLine
    from kengen.organizations.selectors import OrgTree
    from kengen.people.models import Person

MINCHO = "HeiseiMin-W3"
GOTHIC = "HeiseiKakuGo-W5"

FORM_LABEL = "別記様式1（第5条、第6条関係）"
TITLE = "システム使用者の操作権限登録(解除)申請書"
DEFAULT_REGULATION = "北見市行政情報システムの管理運用に関する取扱要領"
DATE_PLACEHOLDER = "令和　　年　　月　　日"
BLANK_ROWS = 9
MAX_BOX_REASON = 200  # characters of a rejection reason printed in the administrator's box

ADDRESSEES: dict[str, str] = {
    Route.CORE: "COKAS-R/ADⅡ管理者",
    Route.INTERMEDIATE: "中間サーバー管理者",
    Route.TWO_FACTOR: "二要素認証システム管理者",
}
ACTION_LABELS: dict[str, str] = {LineAction.REGISTER: "登録", LineAction.CANCEL: "解除"}
PURPOSE_LABELS = (
    (Purpose.DUTIES, "所掌事務の執行"),
    (Purpose.TRAINING, "教育研修"),
    (Purpose.OTHER, "その他"),
)
STATUS_NOTES: dict[str, str] = {
    ApplicationStatus.DRAFT: "（未提出）",
    ApplicationStatus.WITHDRAWN: "（取下げ）",
}

# Column widths of the lines table (mm): the printable width of A4 with 15 mm margins is 180 mm.
COLUMNS = (
    ("No.", 8),
    ("職員番号", 17),
    ("フリガナ<br/>氏名", 27),
    ("所属", 31),
    ("システム", 23),
    ("権限", 20),
    ("区分", 10),
    ("期間", 30),
    ("ユーザID", 14),
)
MARGIN = 15 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN  # 180 mm
BOTTOM_MARGIN = 16 * mm  # below: the page number
BOX_GAP = 6 * mm  # between the body and the administrator's box
LINE_COLOUR = colors.HexColor("#333333")
SHADE = colors.HexColor("#e6e6e6")

_fonts_lock = threading.Lock()
_fonts_registered = False


def register_fonts() -> None:
    """Register the two CID fonts once per process (ReportLab's registry is global)."""
    global _fonts_registered
    if _fonts_registered:
        return
    with _fonts_lock:
        if not _fonts_registered:
            known = set(pdfmetrics.getRegisteredFontNames())
            for name in (MINCHO, GOTHIC):
                if name not in known:
                    pdfmetrics.registerFont(UnicodeCIDFont(name))
            _fonts_registered = True


# --- what goes on the form -------------------------------------------------------------------


@dataclass
class LineRow:
    """One printed row; every value is plain text (escaped when laid out)."""

    number: str = ""
    staff_number: str = ""
    name: str = ""
    kana: str = ""
    unit: str = ""
    system: str = ""
    permissions: str = ""
    action: str = ""
    period_from: str = ""
    period_to: str = ""
    user_id: str = ""
    blank: bool = False


@dataclass
class Form1:
    """The form's contents, already formatted: built from an application or left blank."""

    blank: bool = True
    number: str = ""
    status_note: str = ""
    date: str = DATE_PLACEHOLDER
    addressee: str = ""
    article: str = "第5条第2項（第6条第2項）"
    unit: str = ""
    officer_post: str = ""
    officer_name: str = ""
    purpose: str = ""
    purpose_note: str = ""
    approved_by: str = ""
    approved_on: str = DATE_PLACEHOLDER
    reason: str = ""
    rows: list[LineRow] = field(default_factory=list)
    received_on: str = DATE_PLACEHOLDER
    registered_on: str = DATE_PLACEHOLDER
    result: str = ""  # "" (not decided), "registered" or "rejected"
    rejection_reason: str = ""
    decided_by: str = ""


def _local_date(value: dt.datetime | None) -> dt.date | None:
    return None if value is None else timezone.localtime(value).date()


def _unit_name(tree: OrgTree, org: Any) -> str:
    return tree.full_name(org.id) if org.id in tree.by_id else org.name


def _head_post(person: Person, organization_id: int, on: dt.date) -> str:
    """The head post (e.g. 課長) the officer holds on ``on``, preferring the applying unit."""
    heads = [a for a in person.assignments_on(on) if a.post.is_head]
    heads.sort(key=lambda a: (a.organization_id != organization_id, a.post.rank))
    return heads[0].post.name if heads else ""


def _line_unit(line: ApplicationLine, tree: OrgTree, within: set[int], on: dt.date, fallback: str) -> str:
    """The person's unit on the application date: an assignment inside the applying unit first."""
    assignments = list(line.person.assignments_on(on))
    assignments.sort(key=lambda a: (a.organization_id not in within, not a.is_primary, a.valid_from))
    return _unit_name(tree, assignments[0].organization) if assignments else fallback


def _addressee(app: Application) -> str:
    if app.route == Route.INDIVIDUAL:
        return f"{app.system.name}　個別システム管理者"
    return ADDRESSEES.get(app.route, f"{app.system.name}　管理者")


def form1_data(app: Application) -> Form1:
    """Everything the form prints for ``app``, formatted (dates in the Japanese era)."""
    from kengen.organizations.selectors import OrgTree

    on = _local_date(app.submitted_at) or _local_date(app.created_at) or timezone.localdate()
    tree = OrgTree(on)
    unit = _unit_name(tree, app.organization)
    within = tree.descendant_ids([app.organization_id])
    officer = app.applicant or getattr(app.created_by, "person", None)

    lines = app.lines.select_related("person", "system").prefetch_related("permissions").order_by("id")
    rows = []
    for i, line in enumerate(lines, start=1):
        perms = sorted(line.permissions.all(), key=lambda p: (p.sort_order, p.code))
        end = last_day(line.valid_to)
        rows.append(
            LineRow(
                number=str(i),
                staff_number=line.person.staff_number or "",
                name=line.person.full_name,
                kana=line.person.full_name_kana,
                unit=_line_unit(line, tree, within, on, unit),
                system=line.system.name,
                permissions="、".join(p.name for p in perms),
                action=ACTION_LABELS.get(line.action, line.get_action_display()),
                period_from=wareki(line.valid_from),
                period_to=wareki(end) if end else "",
                user_id=line.user_id,
            )
        )

    data = Form1(
        blank=False,
        number=app.number,
        status_note=STATUS_NOTES.get(app.status, ""),
        date=wareki(on),
        addressee=_addressee(app),
        article="第6条第2項" if app.route == Route.TWO_FACTOR else "第5条第2項",
        unit=unit,
        officer_post=_head_post(officer, app.organization_id, on) if officer else "",
        officer_name=officer.full_name if officer else "",
        purpose=app.purpose,
        purpose_note=app.purpose_note,
        approved_by=app.purpose_approved_by.full_name if app.purpose_approved_by else "",
        approved_on=wareki(app.purpose_approved_on) if app.purpose_approved_on else DATE_PLACEHOLDER,
        reason=app.reason,
        rows=rows,
    )
    if app.status in (ApplicationStatus.REGISTERED, ApplicationStatus.REJECTED):
        data.received_on = wareki(_local_date(app.submitted_at)) or DATE_PLACEHOLDER
        data.decided_by = app.decided_by.full_name if app.decided_by else ""
        if app.status == ApplicationStatus.REGISTERED:
            data.result = "registered"
            data.registered_on = wareki(_local_date(app.decided_at)) or DATE_PLACEHOLDER
        else:
            data.result = "rejected"
            data.rejection_reason = app.rejection_reason
    return data


def blank_form1() -> Form1:
    return Form1(rows=[LineRow(blank=True) for _ in range(BLANK_ROWS)])


# --- layout ----------------------------------------------------------------------------------


def _style(
    name: str,
    *,
    font: str = MINCHO,
    size: float = 10,
    leading: float | None = None,
    align: int = TA_LEFT,
    **kwargs: Any,
) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=font,
        fontSize=size,
        leading=leading or size * 1.35,
        alignment=align,
        wordWrap="CJK",
        **kwargs,
    )


BODY = _style("form1-body")
SMALL = _style("form1-small", size=8.5)
LABEL = _style("form1-label", font=GOTHIC, size=9)
LABEL_CENTRE = _style("form1-label-centre", font=GOTHIC, size=9, align=TA_CENTER)
TITLE_STYLE = _style("form1-title", font=GOTHIC, size=15, align=TA_CENTER, spaceBefore=2, spaceAfter=4)
ADDRESSEE = _style("form1-addressee", size=12)
CELL = _style("form1-cell", size=8, leading=10.5)
CELL_CENTRE = _style("form1-cell-centre", size=8, leading=10.5, align=TA_CENTER)
CELL_HEAD = _style("form1-cell-head", font=GOTHIC, size=8, leading=10, align=TA_CENTER)
KANA = 6  # point size of the kana above each name


def _t(text: str) -> str:
    """Plain text → Paragraph markup (escaped; line breaks kept)."""
    return escape(text).replace("\r\n", "\n").replace("\n", "<br/>")


_KEEP = "\ue000"  # stands in for U+3000 while ReportLab parses the markup


class FormParagraph(Paragraph):
    """A Paragraph that keeps ideographic spaces (U+3000).

    ReportLab collapses every run of whitespace, U+3000 included, but a Japanese form uses them as
    the blanks to write in (「令和　　年　　月　　日」) and to space check boxes apart. They are
    hidden from the cleaner and restored in the parsed fragments; CJK wrapping then measures each
    as one full-width character. Needs ``wordWrap="CJK"``, as every style here has.
    """

    def _setup(self, text, style, bulletText, frags, cleaner):
        if frags is not None or not isinstance(text, str):  # a split: already parsed
            super()._setup(text, style, bulletText, frags, cleaner)
            return
        super()._setup(text.replace("\u3000", _KEEP), style, bulletText, frags, cleaner)
        for frag in self.frags:
            value = getattr(frag, "text", None)
            if isinstance(value, str):
                frag.text = value.replace(_KEEP, "\u3000")


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return FormParagraph(_t(text), style)


def _box(checked: bool) -> str:
    return "■" if checked else "□"


def _grid(extra: list[tuple] | None = None) -> TableStyle:
    return TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.6, LINE_COLOUR),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            *(extra or []),
        ]
    )


def header_block(data: Form1 | Any, form_label: str = FORM_LABEL) -> Table:
    """Form label top left; application date and number top right (Form 1 and Form 2 alike)."""
    number = data.number + data.status_note
    right = Table(
        [[_p("申請日", LABEL), _p(data.date)], [_p("申請番号", LABEL), _p(number)]],
        colWidths=[18 * mm, 48 * mm],
        style=_grid([("BACKGROUND", (0, 0), (0, -1), SHADE)]),
    )
    return Table(
        [[_p(form_label, SMALL), right]],
        colWidths=[114 * mm, 66 * mm],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )


def _addressee_block(data: Form1) -> Paragraph:
    if data.blank:
        choices = "　".join(f"□{name}" for name in ADDRESSEES.values())
        individual = "□個別システム管理者（システム名：" + "　" * 12 + "）　様"
        return FormParagraph(f"{_t(choices)}<br/>{_t(individual)}", BODY)
    return FormParagraph(_t(f"{data.addressee}　様"), ADDRESSEE)


def _applicant_block(data: Form1) -> Table:
    officer = "　".join(part for part in (data.officer_post, data.officer_name) if part)
    table = Table(
        [
            [_p("申請者", LABEL), ""],
            [_p("所属", LABEL), _p(data.unit)],
            [_p("情報セキュリティ責任者", LABEL), _p(officer)],
        ],
        colWidths=[40 * mm, 62 * mm],
        style=TableStyle(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (0, 1), (-1, 2), 0.5, LINE_COLOUR),
                ("LEFTPADDING", (0, 0), (-1, 0), 0),
                ("LEFTPADDING", (0, 1), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
    )
    table.hAlign = "RIGHT"
    return table


def _purpose_block(data: Form1) -> Table:
    options = []
    for value, label in PURPOSE_LABELS:
        text = f"{_box(data.purpose == value)}{label}"
        if value == Purpose.OTHER:
            approver = data.approved_by or "　" * 6
            text += f"（情報セキュリティ責任者承認：{approver}　承認日：{data.approved_on}）"
        options.append(_t(text))
    purpose = "　".join(options[:2]) + "<br/>" + options[2]
    note = _t(data.purpose_note) if data.purpose_note else ""
    purpose += f"<br/>（内容）{note}"
    rows = [
        [_p("使用目的", LABEL_CENTRE), FormParagraph(purpose, BODY)],
        [_p("申請理由", LABEL_CENTRE), _p(data.reason)],
    ]
    return Table(
        rows,
        colWidths=[24 * mm, 156 * mm],
        rowHeights=[None, None if data.reason else 14 * mm],
        style=_grid([("BACKGROUND", (0, 0), (0, -1), SHADE)]),
        splitInRow=1,  # a reason longer than a page flows on instead of failing
    )


def _row_cells(row: LineRow) -> list[Paragraph]:
    if row.blank:
        return [FormParagraph("", CELL) for _ in COLUMNS]
    name = f'<font size="{KANA}">{_t(row.kana)}</font><br/>{_t(row.name)}'
    period = _t(row.period_from) + "<br/>〜" + _t(row.period_to)
    return [
        FormParagraph(_t(row.number), CELL_CENTRE),
        FormParagraph(_t(row.staff_number), CELL),
        FormParagraph(name, CELL),
        FormParagraph(_t(row.unit), CELL),
        FormParagraph(_t(row.system), CELL),
        FormParagraph(_t(row.permissions), CELL),
        FormParagraph(_t(row.action), CELL_CENTRE),
        FormParagraph(period, CELL),
        FormParagraph(_t(row.user_id), CELL),
    ]


def _lines_table(data: Form1) -> Table:
    header = [FormParagraph(label, CELL_HEAD) for label, _ in COLUMNS]
    body = [_row_cells(row) for row in data.rows]
    heights = [None] + [11 * mm if row.blank else None for row in data.rows]
    return Table(
        [header, *body],
        colWidths=[width * mm for _, width in COLUMNS],
        rowHeights=heights,
        repeatRows=1,
        style=_grid(
            [
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        ),
    )


def _admin_box(data: Form1) -> Table:
    """管理者記入欄: filled once the application is registered or rejected."""
    reason = data.rejection_reason if data.result == "rejected" else "　" * 6
    if len(reason) > MAX_BOX_REASON:  # the box is reserved on every page: keep it small
        reason = reason[: MAX_BOX_REASON - 1] + "…"
    result = (
        f"{_box(data.result == 'registered')}登録済　{_box(data.result == 'rejected')}却下（理由：{reason}）"
    )
    return Table(
        [
            [_p("管理者記入欄", LABEL), "", "", ""],
            [
                _p("受付日", LABEL_CENTRE),
                _p(data.received_on),
                _p("登録日", LABEL_CENTRE),
                _p(data.registered_on),
            ],
            [
                _p("処理結果", LABEL_CENTRE),
                _p(result),
                _p("処理者", LABEL_CENTRE),
                _p(data.decided_by),
            ],
        ],
        colWidths=[22 * mm, 78 * mm, 22 * mm, 58 * mm],
        style=_grid(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("BACKGROUND", (0, 1), (0, -1), SHADE),
                ("BACKGROUND", (2, 1), (2, -1), SHADE),
                ("BOX", (0, 0), (-1, -1), 1.2, LINE_COLOUR),
            ]
        ),
    )


class _FormCanvas(rl_canvas.Canvas):
    """Holds the pages back until the end so each can print 「n / m」, and the last one the
    administrator's box in the space every page keeps free for it at the bottom."""

    def __init__(self, *args: Any, admin_box: Table, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._admin_box = admin_box

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(MINCHO, 9)
            self.drawCentredString(A4[0] / 2, 9 * mm, f"{self._pageNumber} / {total}")
            if self._pageNumber == total:
                self._admin_box.wrapOn(self, CONTENT_WIDTH, A4[1])
                self._admin_box.drawOn(self, MARGIN, BOTTOM_MARGIN)
            super().showPage()
        super().save()


def _regulation_name() -> str:
    return str(getattr(settings, "KENGEN_FORM1_REGULATION_NAME", DEFAULT_REGULATION))


def _story(data: Form1) -> list:
    sentence = f"{_regulation_name()}{data.article}の規定により、次のとおり申請します。"
    return [
        header_block(data),
        Spacer(0, 5 * mm),
        _addressee_block(data),
        Spacer(0, 3 * mm),
        _applicant_block(data),
        Spacer(0, 7 * mm),
        FormParagraph(_t(TITLE), TITLE_STYLE),
        Spacer(0, 3 * mm),
        _p(f"　{sentence}"),
        Spacer(0, 2 * mm),
        FormParagraph("記", _style("form1-ki", align=TA_CENTER)),
        Spacer(0, 2 * mm),
        _purpose_block(data),
        Spacer(0, 4 * mm),
        _lines_table(data),
    ]


def render_form1(application: Application | None) -> bytes:
    """The application as 別記様式1 (A4 portrait PDF); ``None`` gives the blank form."""
    register_fonts()
    data = blank_form1() if application is None else form1_data(application)
    title = f"{TITLE} {data.number}".strip()

    def later_pages(canvas: rl_canvas.Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(MINCHO, 8.5)
        label = f"{TITLE}（続き）"
        if data.number:
            label += f"　申請番号 {data.number}"
        canvas.drawString(MARGIN, A4[1] - 10 * mm, label)
        canvas.restoreState()

    # The administrator's box sits at the foot of the last page, like a preprinted form; every
    # page keeps its space free so the lines never have to leave it a page of its own.
    admin_box = _admin_box(data)
    _, box_height = admin_box.wrap(CONTENT_WIDTH, A4[1])

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=BOTTOM_MARGIN + box_height + BOX_GAP,
        title=title,
        subject=FORM_LABEL,
        author=data.unit,
        creator="Kengen",
    )
    doc.build(
        _story(data),
        onLaterPages=later_pages,
        canvasmaker=partial(_FormCanvas, admin_box=admin_box),
    )
    return buffer.getvalue()
