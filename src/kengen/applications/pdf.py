"""別記様式1 システム使用者の操作権限登録(解除)申請書 as a printable A4 PDF (F1, A5.2, A6.2).

``render_form1(application)`` lays the application out as a Japanese municipal form: the date and
number top right, the addressee (the administrator the route goes to), the applying unit and its
security officer, the title, the sentence citing Art. 5(2) (Art. 6(2) for two-factor terminals),
the purpose (A10) and reason, one table row per line, and the administrator's box at the bottom.
``render_form1(None)`` gives the blank form to fill in by hand.

The opening, the administrator's box and the document come from the workflow's PDF kit
(``kengen.workflow.pdf``). Dates are in the Japanese era; ``valid_to`` is exclusive, so the
inclusive last day is printed. The form never carries a password or token: there is none in an
application, and none is added here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Paragraph, Spacer, Table

from kengen.applications.choices import LineAction, Route
from kengen.core.era import wareki
from kengen.core.models import last_day
from kengen.grants.choices import Purpose
from kengen.systems.choices import SystemKind
from kengen.workflow.pdf import (
    BODY,
    DATE_PLACEHOLDER,
    GOTHIC,
    LABEL_CENTRE,
    MARGIN,
    MINCHO,
    SHADE,
    SYSTEM_ADDRESSEES,
    DecisionBox,
    FormParagraph,
    addressee_paragraph,
    admin_box,
    applicant_block,
    application_date,
    box,
    decision_of,
    form_opening,
    grid,
    head_post,
    para,
    register_fonts,
    render_form,
    status_note,
    style,
    text,
    unit_name,
)

if TYPE_CHECKING:
    from kengen.applications.models import Application, ApplicationLine
    from kengen.organizations.selectors import OrgTree

FORM_LABEL = "別記様式1（第5条、第6条関係）"
TITLE = "システム使用者の操作権限登録(解除)申請書"
BLANK_ROWS = 8

ADDRESSEES: dict[str, str] = {
    Route.CORE: SYSTEM_ADDRESSEES[SystemKind.CORE],
    Route.INTERMEDIATE: SYSTEM_ADDRESSEES[SystemKind.INTERMEDIATE],
    Route.TWO_FACTOR: SYSTEM_ADDRESSEES[SystemKind.TWO_FACTOR],
}
ACTION_LABELS: dict[str, str] = {LineAction.REGISTER: "登録", LineAction.CANCEL: "解除"}
PURPOSE_LABELS = (
    (Purpose.DUTIES, "所掌事務の執行"),
    (Purpose.TRAINING, "教育研修"),
    (Purpose.OTHER, "その他"),
)

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
CELL = style("form1-cell", size=8, leading=10.5)
CELL_CENTRE = style("form1-cell-centre", size=8, leading=10.5, align=TA_CENTER)
CELL_HEAD = style("form1-cell-head", font=GOTHIC, size=8, leading=10, align=TA_CENTER)
KANA = 6  # point size of the kana above each name


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
    decision: DecisionBox = field(default_factory=DecisionBox)


def _line_unit(line: ApplicationLine, tree: OrgTree, within: set[int], on: Any, fallback: str) -> str:
    """The person's unit on the application date: an assignment inside the applying unit first."""
    assignments = list(line.person.assignments_on(on))
    assignments.sort(key=lambda a: (a.organization_id not in within, not a.is_primary, a.valid_from))
    return unit_name(tree, assignments[0].organization) if assignments else fallback


def _addressee(app: Application) -> str:
    if app.route == Route.INDIVIDUAL:
        return f"{app.system.name}　個別システム管理者"
    return ADDRESSEES.get(app.route, f"{app.system.name}　管理者")


def form1_data(app: Application) -> Form1:
    """Everything the form prints for ``app``, formatted (dates in the Japanese era)."""
    from kengen.organizations.selectors import OrgTree

    on = application_date(app)
    tree = OrgTree(on)
    unit = unit_name(tree, app.organization)
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

    return Form1(
        blank=False,
        number=app.number,
        status_note=status_note(app),
        date=wareki(on),
        addressee=_addressee(app),
        article="第6条第2項" if app.route == Route.TWO_FACTOR else "第5条第2項",
        unit=unit,
        officer_post=head_post(officer, app.organization_id, on) if officer else "",
        officer_name=officer.full_name if officer else "",
        purpose=app.purpose,
        purpose_note=app.purpose_note,
        approved_by=app.purpose_approved_by.full_name if app.purpose_approved_by else "",
        approved_on=wareki(app.purpose_approved_on) if app.purpose_approved_on else DATE_PLACEHOLDER,
        reason=app.reason,
        rows=rows,
        decision=decision_of(app),
    )


def blank_form1() -> Form1:
    return Form1(rows=[LineRow(blank=True) for _ in range(BLANK_ROWS)])


# --- layout ----------------------------------------------------------------------------------


def _addressee_block(data: Form1) -> Paragraph:
    if data.blank:
        choices = "　".join(f"□{name}" for name in ADDRESSEES.values())
        individual = "□個別システム管理者（システム名：" + "　" * 12 + "）　様"
        return FormParagraph(f"{text(choices)}<br/>{text(individual)}", BODY)
    return addressee_paragraph(data.addressee)


def _purpose_block(data: Form1) -> Table:
    options = []
    for value, label in PURPOSE_LABELS:
        option = f"{box(data.purpose == value)}{label}"
        if value == Purpose.OTHER:
            approver = data.approved_by or "　" * 6
            option += f"（情報セキュリティ責任者承認：{approver}　承認日：{data.approved_on}）"
        options.append(text(option))
    purpose = "　".join(options[:2]) + "<br/>" + options[2]
    note = text(data.purpose_note) if data.purpose_note else ""
    purpose += f"<br/>（内容）{note}"
    rows = [
        [para("使用目的", LABEL_CENTRE), FormParagraph(purpose, BODY)],
        [para("申請理由", LABEL_CENTRE), para(data.reason)],
    ]
    return Table(
        rows,
        colWidths=[24 * mm, 156 * mm],
        rowHeights=[None, None if data.reason else 14 * mm],
        style=grid([("BACKGROUND", (0, 0), (0, -1), SHADE)]),
        splitInRow=1,  # a reason longer than a page flows on instead of failing
    )


def _row_cells(row: LineRow) -> list[Paragraph]:
    if row.blank:
        return [FormParagraph("", CELL) for _ in COLUMNS]
    name = f'<font size="{KANA}">{text(row.kana)}</font><br/>{text(row.name)}'
    period = text(row.period_from) + "<br/>〜" + text(row.period_to)
    return [
        FormParagraph(text(row.number), CELL_CENTRE),
        FormParagraph(text(row.staff_number), CELL),
        FormParagraph(name, CELL),
        FormParagraph(text(row.unit), CELL),
        FormParagraph(text(row.system), CELL),
        FormParagraph(text(row.permissions), CELL),
        FormParagraph(text(row.action), CELL_CENTRE),
        FormParagraph(period, CELL),
        FormParagraph(text(row.user_id), CELL),
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
        style=grid(
            [
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("LEFTPADDING", (0, 0), (-1, -1), 2.5),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        ),
    )


def _story(data: Form1) -> list:
    officer = "　".join(part for part in (data.officer_post, data.officer_name) if part)
    return [
        *form_opening(
            form_label=FORM_LABEL,
            date=data.date,
            number=data.number + data.status_note,
            addressee=_addressee_block(data),
            applicant=applicant_block(unit=data.unit, role="情報セキュリティ責任者", who=officer),
            title=TITLE,
            article=data.article,
        ),
        _purpose_block(data),
        Spacer(0, 4 * mm),
        _lines_table(data),
    ]


def render_form1(application: Application | None) -> bytes:
    """The application as 別記様式1 (A4 portrait PDF); ``None`` gives the blank form."""
    register_fonts()
    data = blank_form1() if application is None else form1_data(application)

    def later_pages(canvas: rl_canvas.Canvas, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(MINCHO, 8.5)
        label = f"{TITLE}（続き）"
        if data.number:
            label += f"　申請番号 {data.number}"
        canvas.drawString(MARGIN, A4[1] - 10 * mm, label)
        canvas.restoreState()

    return render_form(
        _story(data),
        admin_box=admin_box(data.decision, decided_on_label="登録日", decided_label="登録済"),
        title=f"{TITLE} {data.number}".strip(),
        subject=FORM_LABEL,
        author=data.unit,
        later_pages=later_pages,
    )
