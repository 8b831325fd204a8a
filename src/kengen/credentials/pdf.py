"""別記様式2 システム使用者のパスワード申請書 as a printable A4 PDF (F2, A8.1).

Built with the workflow's PDF kit (``kengen.workflow.pdf``), like Form 1: the form label and the date and
number top right, the addressee (the system's administrator), the applicant — the user, or for a
fiscal-year appointee the security officer (Art. 8(1) proviso) —, the title, the sentence citing
Art. 8(1), one table with the user ID and the person, and the administrator's box at the foot.

The form never carries a password (F2, A8.5): there is none in an application, no field for one,
and the form says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table

from kengen.core.era import wareki
from kengen.credentials.choices import ApplicantKind, PasswordApplicationKind
from kengen.people.choices import EmploymentType
from kengen.workflow.pdf import (
    BODY,
    DATE_PLACEHOLDER,
    LABEL_CENTRE,
    SHADE,
    SMALL,
    DecisionBox,
    FormParagraph,
    addressee_of,
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
    text,
    unit_name,
)

if TYPE_CHECKING:
    from kengen.credentials.models import PasswordApplication

FORM_LABEL = "別記様式2（第8条関係）"
TITLE = "システム使用者のパスワード申請書"
NO_PASSWORD_NOTE = "※パスワードは、この申請書に記載しないでください（第8条第5項）。"  # noqa: S105 (a notice)


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
    decision: DecisionBox = field(default_factory=DecisionBox)


EMPLOYMENT_LABELS: dict[str, str] = {
    EmploymentType.REGULAR: "正職員",
    EmploymentType.FY_FULL_TIME: "会計年度任用職員（フルタイム）",
    EmploymentType.FY_PART_TIME: "会計年度任用職員（パートタイム）",
    EmploymentType.OTHER_FIXED_TERM: "その他の任期付職員",
}


def form2_data(app: PasswordApplication) -> Form2:
    from kengen.organizations.selectors import OrgTree

    on = application_date(app)
    tree = OrgTree(on)
    person_unit = unit_name(tree, app.organization)
    unit = person_unit
    if app.applicant_kind == ApplicantKind.OFFICER:  # the officer signs for their security unit
        security_unit = tree.security_unit_of(app.organization_id)
        unit = unit_name(tree, security_unit) if security_unit else person_unit
    appointment = app.person.appointment_on(on)
    return Form2(
        blank=False,
        number=app.number,
        status_note=status_note(app),
        date=wareki(on),
        addressee=addressee_of(app.system),
        officer_applies=app.applicant_kind == ApplicantKind.OFFICER,
        unit=unit,
        applicant_post=head_post(app.applicant, app.organization_id, on)
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
        decision=decision_of(app),
    )


def _addressee_block(data: Form2) -> Paragraph:
    if data.blank:
        return para("システム名：" + "　" * 12 + "個別システム管理者　様")
    return addressee_paragraph(data.addressee)


def _applicant_block(data: Form2) -> Table:
    role = "情報セキュリティ責任者" if data.officer_applies else "システム使用者"
    if data.blank:
        role = "システム使用者／情報セキュリティ責任者"
    who = "　".join(part for part in (data.applicant_post, data.applicant_name) if part)
    return applicant_block(unit=data.unit, role=role, who=who, label_width=44 * mm)


def _details(data: Form2) -> Table:
    kind = (
        f"{box(data.kind == PasswordApplicationKind.REGISTER)}登録　"
        f"{box(data.kind == PasswordApplicationKind.CHANGE)}変更"
    )
    name = f'<font size="7">{text(data.kana)}</font><br/>{text(data.name)}'
    rows = [
        [para("区分", LABEL_CENTRE), para(kind)],
        [para("システム名", LABEL_CENTRE), para(data.system)],
        [para("ユーザID", LABEL_CENTRE), para(data.user_id)],
        [para("職員番号", LABEL_CENTRE), para(data.staff_number)],
        [para("フリガナ\n氏名", LABEL_CENTRE), FormParagraph(name, BODY)],
        [para("所属", LABEL_CENTRE), para(data.person_unit)],
        [para("任用区分", LABEL_CENTRE), para(data.employment)],
        [para("申請理由", LABEL_CENTRE), para(data.reason)],
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
        style=grid([("BACKGROUND", (0, 0), (0, -1), SHADE)]),
    )


def _story(data: Form2) -> list:
    article = "第8条第1項ただし書" if data.officer_applies else "第8条第1項"
    if data.blank:
        article = "第8条第1項"
    return [
        *form_opening(
            form_label=FORM_LABEL,
            date=data.date,
            number=data.number + data.status_note,
            addressee=_addressee_block(data),
            applicant=_applicant_block(data),
            title=TITLE,
            article=article,
        ),
        _details(data),
        Spacer(0, 3 * mm),
        para(NO_PASSWORD_NOTE, SMALL),
    ]


def render_form2(application: PasswordApplication | None) -> bytes:
    """The application as 別記様式2 (A4 portrait PDF); ``None`` gives the blank form."""
    register_fonts()
    data = Form2() if application is None else form2_data(application)
    return render_form(
        _story(data),
        admin_box=admin_box(data.decision, decided_on_label="処理日", decided_label="登録・変更済"),
        title=f"{TITLE} {data.number}".strip(),
        subject=FORM_LABEL,
        author=data.unit,
    )
