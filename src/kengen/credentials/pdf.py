"""別記様式2 システム使用者のパスワード申請書 as a printable A4 PDF (F2, A8.1).

Built from the same blocks as Form 1 (``kengen.applications.pdf``): the form label and the date and
number top right, the addressee (the system's administrator), the applicant — the user, or for a
fiscal-year appointee the security officer (Art. 8(1) proviso) —, the title, the sentence citing
Art. 8(1), one table with the user ID and the person, and the administrator's box at the foot.

The form never carries a password (F2, A8.5): there is none in an application, no field for one,
and the form says so.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kengen.applications.choices import Route
from kengen.applications.pdf import (
    ADDRESSEE,
    ADDRESSEES,
    BODY,
    BOTTOM_MARGIN,
    BOX_GAP,
    CONTENT_WIDTH,
    DATE_PLACEHOLDER,
    LABEL,
    LABEL_CENTRE,
    MARGIN,
    SHADE,
    SMALL,
    TITLE_STYLE,
    FormParagraph,
    _box,
    _FormCanvas,
    _grid,
    _head_post,
    _local_date,
    _p,
    _regulation_name,
    _style,
    _t,
    _unit_name,
    header_block,
    register_fonts,
)
from kengen.applications.services import ROUTE_OF_KIND
from kengen.core.era import wareki
from kengen.credentials.choices import ApplicantKind, PasswordApplicationKind, PasswordApplicationStatus
from kengen.people.choices import EmploymentType

if TYPE_CHECKING:
    from kengen.credentials.models import PasswordApplication

FORM_LABEL = "別記様式2（第8条関係）"
TITLE = "システム使用者のパスワード申請書"
NO_PASSWORD_NOTE = "※パスワードは、この申請書に記載しないでください（第8条第5項）。"  # noqa: S105 (a notice)
STATUS_NOTES: dict[str, str] = {
    PasswordApplicationStatus.DRAFT: "（未提出）",
    PasswordApplicationStatus.WITHDRAWN: "（取下げ）",
}


@dataclass
class Form2:
    """The form's contents, already formatted; ``blank`` for the form filled in by hand."""

    blank: bool = True
    number: str = ""
    status_note: str = ""
    date: str = DATE_PLACEHOLDER
    addressee: str = ""
    officer_applies: bool = False
    unit: str = ""
    applicant_post: str = ""
    applicant_name: str = ""
    kind: str = ""
    system: str = ""
    user_id: str = ""
    staff_number: str = ""
    name: str = ""
    kana: str = ""
    person_unit: str = ""
    employment: str = ""
    reason: str = ""
    received_on: str = DATE_PLACEHOLDER
    completed_on: str = DATE_PLACEHOLDER
    result: str = ""
    rejection_reason: str = ""
    decided_by: str = ""


EMPLOYMENT_LABELS: dict[str, str] = {
    EmploymentType.REGULAR: "正職員",
    EmploymentType.FY_FULL_TIME: "会計年度任用職員（フルタイム）",
    EmploymentType.FY_PART_TIME: "会計年度任用職員（パートタイム）",
    EmploymentType.OTHER_FIXED_TERM: "その他の任期付職員",
}


def _addressee(app: PasswordApplication) -> str:
    route = ROUTE_OF_KIND.get(app.system.kind, Route.INDIVIDUAL)
    if route == Route.INDIVIDUAL:
        return f"{app.system.name}　個別システム管理者"
    return ADDRESSEES.get(route, f"{app.system.name}　管理者")


def form2_data(app: PasswordApplication) -> Form2:
    from kengen.organizations.selectors import OrgTree

    on = _local_date(app.submitted_at) or _local_date(app.created_at) or timezone.localdate()
    tree = OrgTree(on)
    person_unit = _unit_name(tree, app.organization)
    unit = person_unit
    if app.applicant_kind == ApplicantKind.OFFICER:  # the officer signs for their security unit
        security_unit = tree.security_unit_of(app.organization_id)
        unit = _unit_name(tree, security_unit) if security_unit else person_unit
    appointment = app.person.appointment_on(on)
    data = Form2(
        blank=False,
        number=app.number,
        status_note=STATUS_NOTES.get(app.status, ""),
        date=wareki(on),
        addressee=_addressee(app),
        officer_applies=app.applicant_kind == ApplicantKind.OFFICER,
        unit=unit,
        applicant_post=_head_post(app.applicant, app.organization_id, on)
        if app.applicant_kind == ApplicantKind.OFFICER
        else "",
        applicant_name=app.applicant.full_name,
        kind=app.kind,
        system=app.system.name,
        user_id=app.account.user_id,
        staff_number=app.person.staff_number or "",
        name=app.person.full_name,
        kana=app.person.full_name_kana,
        person_unit=person_unit,
        employment=EMPLOYMENT_LABELS.get(appointment.employment_type, "") if appointment else "",
        reason=app.reason,
    )
    if app.status in (PasswordApplicationStatus.COMPLETED, PasswordApplicationStatus.REJECTED):
        data.received_on = wareki(_local_date(app.submitted_at)) or DATE_PLACEHOLDER
        data.decided_by = app.decided_by.full_name if app.decided_by else ""
        if app.status == PasswordApplicationStatus.COMPLETED:
            data.result = "completed"
            data.completed_on = wareki(_local_date(app.decided_at)) or DATE_PLACEHOLDER
        else:
            data.result = "rejected"
            data.rejection_reason = app.rejection_reason
    return data


def _addressee_block(data: Form2) -> Paragraph:
    if data.blank:
        return FormParagraph(_t("システム名：" + "　" * 12 + "個別システム管理者　様"), BODY)
    return FormParagraph(_t(f"{data.addressee}　様"), ADDRESSEE)


def _applicant_block(data: Form2) -> Table:
    role = "情報セキュリティ責任者" if data.officer_applies else "システム使用者"
    if data.blank:
        role = "システム使用者／情報セキュリティ責任者"
    who = "　".join(part for part in (data.applicant_post, data.applicant_name) if part)
    table = Table(
        [[_p("申請者", LABEL), ""], [_p("所属", LABEL), _p(data.unit)], [_p(role, LABEL), _p(who)]],
        colWidths=[44 * mm, 62 * mm],
        style=TableStyle(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LINEBELOW", (0, 1), (-1, 2), 0.5, "#333333"),
                ("LEFTPADDING", (0, 0), (-1, 0), 0),
                ("LEFTPADDING", (0, 1), (-1, -1), 6),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
    )
    table.hAlign = "RIGHT"
    return table


def _details(data: Form2) -> Table:
    kind = (
        f"{_box(data.kind == PasswordApplicationKind.REGISTER)}登録　"
        f"{_box(data.kind == PasswordApplicationKind.CHANGE)}変更"
    )
    name = f'<font size="7">{_t(data.kana)}</font><br/>{_t(data.name)}'
    rows = [
        [_p("区分", LABEL_CENTRE), _p(kind)],
        [_p("システム名", LABEL_CENTRE), _p(data.system)],
        [_p("ユーザID", LABEL_CENTRE), _p(data.user_id)],
        [_p("職員番号", LABEL_CENTRE), _p(data.staff_number)],
        [_p("フリガナ\n氏名", LABEL_CENTRE), FormParagraph(name, BODY)],
        [_p("所属", LABEL_CENTRE), _p(data.person_unit)],
        [_p("任用区分", LABEL_CENTRE), _p(data.employment)],
        [_p("申請理由", LABEL_CENTRE), _p(data.reason)],
    ]
    heights = [None] * len(rows)
    if data.blank or not data.reason:
        heights[-1] = 24 * mm
    if data.blank:
        heights[1:7] = [11 * mm] * 6
    return Table(
        rows,
        colWidths=[32 * mm, 148 * mm],
        rowHeights=heights,
        splitInRow=1,
        style=_grid([("BACKGROUND", (0, 0), (0, -1), SHADE)]),
    )


def _admin_box(data: Form2) -> Table:
    reason = data.rejection_reason if data.result == "rejected" else "　" * 6
    if len(reason) > 200:
        reason = reason[:199] + "…"
    result = f"{_box(data.result == 'completed')}登録・変更済　{_box(data.result == 'rejected')}却下（理由：{reason}）"
    return Table(
        [
            [_p("管理者記入欄", LABEL), "", "", ""],
            [
                _p("受付日", LABEL_CENTRE),
                _p(data.received_on),
                _p("処理日", LABEL_CENTRE),
                _p(data.completed_on),
            ],
            [_p("処理結果", LABEL_CENTRE), _p(result), _p("処理者", LABEL_CENTRE), _p(data.decided_by)],
        ],
        colWidths=[22 * mm, 78 * mm, 22 * mm, 58 * mm],
        style=_grid(
            [
                ("SPAN", (0, 0), (-1, 0)),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("BACKGROUND", (0, 1), (0, -1), SHADE),
                ("BACKGROUND", (2, 1), (2, -1), SHADE),
                ("BOX", (0, 0), (-1, -1), 1.2, "#333333"),
            ]
        ),
    )


def _story(data: Form2) -> list:
    article = "第8条第1項ただし書" if data.officer_applies else "第8条第1項"
    if data.blank:
        article = "第8条第1項"
    sentence = f"{_regulation_name()}{article}の規定により、次のとおり申請します。"
    return [
        header_block(data, FORM_LABEL),
        Spacer(0, 5 * mm),
        _addressee_block(data),
        Spacer(0, 3 * mm),
        _applicant_block(data),
        Spacer(0, 7 * mm),
        FormParagraph(_t(TITLE), TITLE_STYLE),
        Spacer(0, 3 * mm),
        _p(f"　{sentence}"),
        Spacer(0, 2 * mm),
        FormParagraph("記", _style("form2-ki", align=1)),
        Spacer(0, 2 * mm),
        _details(data),
        Spacer(0, 3 * mm),
        _p(NO_PASSWORD_NOTE, SMALL),
    ]


def render_form2(application: PasswordApplication | None) -> bytes:
    """The application as 別記様式2 (A4 portrait PDF); ``None`` gives the blank form."""
    register_fonts()
    data = Form2() if application is None else form2_data(application)
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
        title=f"{TITLE} {data.number}".strip(),
        subject=FORM_LABEL,
        author=data.unit,
        creator="Kengen",
    )
    doc.build(_story(data), canvasmaker=partial(_FormCanvas, admin_box=admin_box))
    return buffer.getvalue()
