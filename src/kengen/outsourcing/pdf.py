"""The outsourcing forms and lists as A4 PDFs, with the workflow's PDF kit: the consultation with
the IT division head (A12.2, A13.2), the subcontracting permission (A12.1(1)), an external
service's assessment (A13.1, one section per item) and the outsourcing register; and the
assessment as an Excel table."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse
from django.utils import timezone
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table

from kengen.core.era import wareki
from kengen.core.exports import Table as ExportTable
from kengen.workflow.pdf import (
    BODY,
    DATE_PLACEHOLDER,
    LABEL,
    MARGIN,
    SHADE,
    SMALL,
    TITLE_STYLE,
    FormParagraph,
    addressee_paragraph,
    admin_box,
    applicant_block,
    application_date,
    decision_of,
    form_opening,
    grid,
    para,
    register_fonts,
    render_form,
    status_note,
    text,
)

if TYPE_CHECKING:
    from kengen.outsourcing.models import Consultation, Contract, ExternalService, SubcontractPermission

BLANK = "　" * 20


def response(content: bytes, filename: str) -> HttpResponse:
    r = HttpResponse(content, content_type="application/pdf")
    r["Content-Disposition"] = f'inline; filename="{filename}"'
    return r


def _rows(rows: list[tuple[str, str]], label_width: float = 45 * mm) -> Table:
    return Table(
        [[para(label, LABEL), para(value or "　")] for label, value in rows],
        colWidths=[label_width, 180 * mm - label_width],
        style=grid([("BACKGROUND", (0, 0), (0, -1), SHADE)]),
    )


def _opening(
    app: Any, *, form_label: str, title: str, article: str, addressee: str, role: str
) -> list[Flowable]:
    if app is None:
        date, number, unit, who = DATE_PLACEHOLDER, "", "", ""
    else:
        date = wareki(application_date(app))
        number = f"{app.number}{status_note(app)}"
        unit = app.organization.name
        who = app.submitted_by.full_name if app.submitted_by else ""
    return form_opening(
        form_label=form_label,
        date=date,
        number=number,
        addressee=addressee_paragraph(addressee),
        applicant=applicant_block(unit=unit, role=role, who=who),
        title=title,
        article=article,
    )


def render_consultation(app: Consultation | None) -> bytes:
    """The consultation with the IT division head (A12.2 / A13.2); blank with ``None``."""
    register_fonts()
    article = "第12条第2項" if app is None or app.contract_id else "第13条第2項"
    story = _opening(
        app,
        form_label="協議書（第12条第2項・第13条第2項関係）",
        title="業務委託・外部サービス利用に関する協議書",
        article=article,
        addressee="情報システム課長",
        role="情報セキュリティ責任者",
    )
    if app is None:
        rows = [
            ("協議事項", "□ 新たな業務委託　□ 新たな外部サービスの利用"),
            ("対象", BLANK),
            ("内容", BLANK * 3),
        ]
        answer = [("回答", "□ 同意　□ 条件付き同意　□ 異議"), ("意見・条件", BLANK * 2)]
    else:
        rows = [("協議事項", app.get_subject_display()), ("対象", app.about), ("内容", app.reason)]
        answer = [
            ("回答", app.get_answer_display() if app.answer else ""),
            ("意見・条件", app.answer_comment),
        ]
    story += [
        _rows(rows),
        Spacer(0, 4 * mm),
        FormParagraph(text("情報システム課長の回答"), LABEL),
        _rows(answer),
    ]
    data = decision_of(app) if app is not None else decision_of_blank()
    return render_form(
        story,
        admin_box=admin_box(data, decided_on_label="回答日", decided_label="回答済"),
        title="協議書",
        subject="業務委託・外部サービス利用に関する協議",
        author="Kengen",
    )


def decision_of_blank() -> Any:
    from kengen.workflow.pdf import DecisionBox

    return DecisionBox()


def render_subcontract(app: SubcontractPermission | None) -> bytes:
    """The application for the security officer's permission to re-subcontract (A12.1(1))."""
    register_fonts()
    story = _opening(
        app,
        form_label="再委託承認申請書（第12条第1項関係）",
        title="再委託承認申請書",
        article="第12条第1項",
        addressee="情報セキュリティ責任者",
        role="申請者",
    )
    if app is None:
        rows = [("契約", BLANK), ("受託者", BLANK), ("再委託先", BLANK), ("再委託する業務", BLANK * 3)]
    else:
        rows = [
            ("契約", app.contract.title),
            ("受託者", app.contract.contractor.name),
            ("再委託先", app.subcontractor.name),
            ("再委託する業務", app.work_scope),
            ("備考", app.reason),
        ]
    story += [
        _rows(rows),
        Spacer(0, 3 * mm),
        para("再委託先にも、受託者と同等の情報セキュリティ対策を求めます（第12条第1項第1号）。", SMALL),
    ]
    data = decision_of(app) if app is not None else decision_of_blank()
    return render_form(
        story,
        admin_box=admin_box(data, decided_on_label="承認日", decided_label="承認"),
        title="再委託承認申請書",
        subject="再委託の承認",
        author="Kengen",
    )


def _document(story: list[Flowable], *, title: str, wide: bool = False) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4) if wide else A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="Kengen",
        creator="Kengen",
    )
    doc.build(story)
    return buffer.getvalue()


def assessment_sections(service: ExternalService) -> list[tuple[str, list[tuple[str, str]]]]:
    """The latest assessment, one section per item of A13.1, and the service's evidence."""
    a = service.assessments.first()

    def v(name: str) -> str:
        return "" if a is None else str(getattr(a, name))

    evidence = [
        (
            e.get_kind_display(),
            f"{e.reference}（{wareki(e.issued_on)}"
            + (f"、有効期限 {wareki(e.expires_on)}" if e.expires_on else "")
            + "）",
        )
        for e in service.evidence.all()
    ]
    return [
        (
            "(1) 取り扱う情報の格付・取扱制限と委託の可否",
            [
                ("情報", v("information")),
                ("委託の可否", "" if a is None else ("可" if a.may_entrust else "不可")),
            ],
        ),
        (
            "(2) 外国法令の適用リスク・業務実施場所・準拠法・裁判管轄",
            [
                ("外国法令のリスク", v("foreign_law_risk")),
                ("業務実施場所", v("work_location")),
                ("準拠法", v("governing_law")),
                ("裁判管轄", v("court")),
            ],
        ),
        ("(3) サービス停止・終了時の移行計画", [("移行計画", v("exit_plan"))]),
        ("(4) 情報の流通経路全体のセキュリティ設計", [("設計", v("security_design"))]),
        ("(5) 信頼性の判断（監査報告書・認証）", [("判断", v("reliability")), *evidence]),
    ]


def render_assessment(service: ExternalService) -> bytes:
    """An external service's assessment (A13.1), printable."""
    register_fonts()
    a = service.assessments.first()
    story: list[Flowable] = [
        FormParagraph(text("外部サービス利用に関する評価書"), TITLE_STYLE),
        Spacer(0, 3 * mm),
        _rows(
            [
                ("サービス", service.name),
                ("提供者", service.provider),
                ("所管課", service.organization.name),
                ("評価日", wareki(a.assessed_on) if a else ""),
                ("評価者", a.assessed_by.full_name if a and a.assessed_by else ""),
                ("次回評価予定", wareki(service.next_assessment_on) if service.next_assessment_on else ""),
            ]
        ),
    ]
    for heading, rows in assessment_sections(service):
        story += [Spacer(0, 4 * mm), para(heading, LABEL), _rows(rows)]
    story += [Spacer(0, 3 * mm), para(f"出力日 {wareki(timezone.localdate())}", SMALL)]
    return _document(story, title="外部サービス評価書")


def assessment_table(service: ExternalService) -> ExportTable:
    """The same assessment as a table (Excel)."""
    rows: list[list[Any]] = [["", "サービス", service.name], ["", "提供者", service.provider]]
    for heading, items in assessment_sections(service):
        rows += [[heading, label, value] for label, value in items]
    return ExportTable(title="外部サービス評価", headers=["A13.1", "項目", "内容"], rows=rows)


def render_register(contracts: list[Contract]) -> bytes:
    """The outsourcing register (A12), landscape."""
    register_fonts()
    head = ["受託者", "契約名", "業務", "対象システム", "所管課", "期間", "状態", "再委託元"]
    data = [[para(h, LABEL) for h in head]]
    for c in contracts:
        data.append(
            [
                para(c.contractor.name, SMALL),
                para(c.title, SMALL),
                para(c.get_work_display(), SMALL),
                para("、".join(s.name for s in c.systems.all()), SMALL),
                para(c.organization.name, SMALL),
                para(f"{wareki(c.valid_from)}〜{wareki(c.last_day)}", SMALL),
                para(c.get_status_display(), SMALL),
                para(c.parent.title if c.parent else "", SMALL),
            ]
        )
    widths = [x * mm for x in (38, 45, 18, 45, 30, 50, 18, 23)]
    story: list[Flowable] = [
        FormParagraph(text("業務委託台帳"), TITLE_STYLE),
        para(f"出力日 {wareki(timezone.localdate())}", BODY),
        Spacer(0, 3 * mm),
        Table(data, colWidths=widths, repeatRows=1, style=grid([("BACKGROUND", (0, 0), (-1, 0), SHADE)])),
    ]
    return _document(story, title="業務委託台帳", wide=True)
