"""The PDF kit every application form (申請書) is printed with: A4 portrait, Japanese municipal
layout, ReportLab.

A form module (``applications.pdf`` for 別記様式1, ``credentials.pdf`` for 別記様式2) builds its
own body — the lines table, the password details — and takes the rest from here:

- ``form_opening``: the form label top left, the application date and number top right, the
  addressee, the applicant block, the title, the sentence citing the regulation's article, 「記」;
- ``admin_box`` / ``decision_of``: the administrator's box (管理者記入欄) at the foot of the last
  page, filled in from the workflow's submitted/decided fields;
- ``render_form``: the document with page numbers 「n / m」 and the box reserved on every page;
- the styles, ``para``/``text``/``box``/``grid`` and ``FormParagraph`` (keeps U+3000 blanks).

Text is set in BIZ UD明朝 (body) and BIZ UDゴシック Bold (headings), TrueType fonts vendored under
``workflow/fonts/`` (SIL OFL) and subset-embedded by ReportLab, so a form prints the same on every
PC whatever fonts it has. Dates are in the Japanese era. A rejection is 差戻し, the word the UI uses.
A form never carries a password or token.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
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
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kengen.core.era import wareki
from kengen.systems.choices import SystemKind
from kengen.workflow.choices import WorkflowStatus

if TYPE_CHECKING:
    from kengen.organizations.selectors import OrgTree
    from kengen.people.models import Person
    from kengen.systems.models import System
    from kengen.workflow.models import WorkflowApplication

MINCHO = "BIZUDMincho"
GOTHIC = "BIZUDGothic-Bold"
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {MINCHO: "BIZUDMincho_400Regular.ttf", GOTHIC: "BIZUDGothic_700Bold.ttf"}
#: What a rejected application is called on the forms: the word of the UI (WorkflowStatus.REJECTED).
REJECTED_WORD = "差戻し"

DEFAULT_REGULATION = "北見市行政情報システムの管理運用に関する取扱要領"
DATE_PLACEHOLDER = "令和　　年　　月　　日"
MAX_BOX_REASON = 200  # characters of a rejection reason printed in the administrator's box

#: Whom a form is addressed to, by the kind of system it concerns (A3).
SYSTEM_ADDRESSEES: dict[str, str] = {
    SystemKind.CORE: "COKAS-R/ADⅡ管理者",
    SystemKind.CORE_BUSINESS: "COKAS-R/ADⅡ管理者",
    SystemKind.INTERMEDIATE: "中間サーバー管理者",
    SystemKind.TWO_FACTOR: "二要素認証システム管理者",
}
#: Printed after the number of an application that is not (or no longer) on its way.
STATUS_NOTES: dict[str, str] = {
    WorkflowStatus.DRAFT: "（未提出）",
    WorkflowStatus.WITHDRAWN: "（取下げ）",
}

MARGIN = 15 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN  # 180 mm
BOTTOM_MARGIN = 16 * mm  # below: the page number
BOX_GAP = 6 * mm  # between the body and the administrator's box
LINE_COLOUR = colors.HexColor("#333333")
SHADE = colors.HexColor("#e6e6e6")

_fonts_lock = threading.Lock()
_fonts_registered = False


def register_fonts() -> None:
    """Register the two embedded TrueType fonts once per process (ReportLab's registry is global)."""
    global _fonts_registered
    if _fonts_registered:
        return
    with _fonts_lock:
        if not _fonts_registered:
            known = set(pdfmetrics.getRegisteredFontNames())
            for name in (MINCHO, GOTHIC):
                if name not in known:
                    pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / FONT_FILES[name])))
            _fonts_registered = True


# --- styles and text -----------------------------------------------------------------------------


def style(
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


BODY = style("form-body")
SMALL = style("form-small", size=8.5)
LABEL = style("form-label", font=GOTHIC, size=9)
LABEL_CENTRE = style("form-label-centre", font=GOTHIC, size=9, align=TA_CENTER)
TITLE_STYLE = style("form-title", font=GOTHIC, size=15, align=TA_CENTER, spaceBefore=2, spaceAfter=4)
ADDRESSEE = style("form-addressee", size=12)
CENTRE = style("form-centre", align=TA_CENTER)
SEAL = style("form-seal", size=8, align=TA_CENTER, textColor=colors.HexColor("#666666"))


def text(value: str) -> str:
    """Plain text → Paragraph markup (escaped; line breaks kept)."""
    return escape(value).replace("\r\n", "\n").replace("\n", "<br/>")


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


def para(value: str, paragraph_style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain text."""
    return FormParagraph(text(value), paragraph_style)


def box(checked: bool) -> str:
    """A check box: ■ or □."""
    return "■" if checked else "□"


def grid(extra: list[tuple] | None = None) -> TableStyle:
    """The ruled table style of every box on the forms."""
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), MINCHO),  # plain-string cells too: never a standard font
            ("GRID", (0, 0), (-1, -1), 0.6, LINE_COLOUR),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            *(extra or []),
        ]
    )


# --- what a form says about its application ---------------------------------------------------


def local_date(value: dt.datetime | None) -> dt.date | None:
    return None if value is None else timezone.localtime(value).date()


def application_date(app: WorkflowApplication) -> dt.date:
    """The date the form carries: when it was submitted (or drafted, until then)."""
    return local_date(app.submitted_at) or local_date(app.created_at) or timezone.localdate()


def unit_name(tree: OrgTree, org: Any) -> str:
    return tree.full_name(org.id) if org.id in tree.by_id else org.name


def head_post(person: Person, organization_id: int, on: dt.date) -> str:
    """The head post (e.g. 課長) the person holds on ``on``, preferring ``organization_id``."""
    heads = [a for a in person.assignments_on(on) if a.post.is_head]
    heads.sort(key=lambda a: (a.organization_id != organization_id, a.post.rank))
    return heads[0].post.name if heads else ""


def addressee_of(system: System) -> str:
    """The administrator a form about ``system`` goes to; an individual system's by name."""
    return SYSTEM_ADDRESSEES.get(system.kind) or f"{system.name}　個別システム管理者"


def regulation_name() -> str:
    return str(getattr(settings, "KENGEN_FORM1_REGULATION_NAME", DEFAULT_REGULATION))


def status_note(app: WorkflowApplication) -> str:
    return STATUS_NOTES.get(app.status, "")


# --- the opening of a form ---------------------------------------------------------------------


def header_block(*, form_label: str, date: str, number: str) -> Table:
    """Form label top left; application date and number top right."""
    right = Table(
        [[para("申請日", LABEL), para(date)], [para("申請番号", LABEL), para(number)]],
        colWidths=[18 * mm, 48 * mm],
        style=grid([("BACKGROUND", (0, 0), (0, -1), SHADE)]),
    )
    return Table(
        [[para(form_label, SMALL), right]],
        colWidths=[114 * mm, 66 * mm],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), MINCHO),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )


def applicant_block(*, unit: str, role: str, who: str, label_width: float = 40 * mm) -> Table:
    """申請者: the unit and the person signing (right-aligned, ruled lines to write on)."""
    table = Table(
        [
            [para("申請者", LABEL), "", ""],
            [para("所属", LABEL), para(unit), ""],
            [para(role, LABEL), para(who), para("印", SEAL)],
        ],
        colWidths=[label_width, 54 * mm, 8 * mm],
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), MINCHO),
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


def addressee_paragraph(addressee: str) -> Paragraph:
    return FormParagraph(text(f"{addressee}　様"), ADDRESSEE)


def form_opening(
    *,
    form_label: str,
    date: str,
    number: str,
    addressee: Flowable,
    applicant: Flowable,
    title: str,
    article: str,
) -> list[Flowable]:
    """Everything above the form's own body, down to 「記」."""
    sentence = f"{regulation_name()}{article}の規定により、次のとおり申請します。"
    return [
        header_block(form_label=form_label, date=date, number=number),
        Spacer(0, 5 * mm),
        addressee,
        Spacer(0, 3 * mm),
        applicant,
        Spacer(0, 7 * mm),
        FormParagraph(text(title), TITLE_STYLE),
        Spacer(0, 3 * mm),
        para(f"　{sentence}"),
        Spacer(0, 2 * mm),
        FormParagraph("記", CENTRE),
        Spacer(0, 2 * mm),
    ]


# --- the administrator's box -------------------------------------------------------------------


@dataclass
class DecisionBox:
    """What the administrator's box shows, formatted; blank until the application is decided."""

    received_on: str = DATE_PLACEHOLDER
    decided_on: str = DATE_PLACEHOLDER
    result: str = ""  # "" (not decided), "decided" or "rejected"
    rejection_reason: str = ""
    decided_by: str = ""


def decision_of(app: WorkflowApplication) -> DecisionBox:
    """The box of a decided (registered / completed / rejected) application; blank otherwise."""
    data = DecisionBox()
    if app.status not in (app.decided_status, WorkflowStatus.REJECTED):
        return data
    data.received_on = wareki(local_date(app.submitted_at)) or DATE_PLACEHOLDER
    data.decided_by = app.decided_by.full_name if app.decided_by else ""
    if app.status == app.decided_status:
        data.result = "decided"
        data.decided_on = wareki(local_date(app.decided_at)) or DATE_PLACEHOLDER
    else:
        data.result = "rejected"
        data.rejection_reason = app.rejection_reason
    return data


def admin_box(data: DecisionBox, *, decided_on_label: str, decided_label: str) -> Table:
    """管理者記入欄: received on, decided on (``decided_on_label``: 登録日, 処理日 …), the result
    (``decided_label`` or 差戻し with the reason), who decided, and the two stamp boxes of the paper
    form (受付印, 処理印) left blank for the administrator's seal."""
    reason = data.rejection_reason if data.result == "rejected" else "　" * 6
    if len(reason) > MAX_BOX_REASON:  # the box is reserved on every page: keep it small
        reason = reason[: MAX_BOX_REASON - 1] + "…"
    result = (
        f"{box(data.result == 'decided')}{decided_label}　"
        f"{box(data.result == 'rejected')}{REJECTED_WORD}（理由：{reason}）"
    )
    return Table(
        [
            [
                para("管理者記入欄", LABEL),
                "",
                "",
                "",
                para("受付印", LABEL_CENTRE),
                para("処理印", LABEL_CENTRE),
            ],
            [
                para("受付日", LABEL_CENTRE),
                para(data.received_on),
                para(decided_on_label, LABEL_CENTRE),
                para(data.decided_on),
                "",
                "",
            ],
            [
                para("処理結果", LABEL_CENTRE),
                para(result),
                para("処理者", LABEL_CENTRE),
                para(data.decided_by),
                "",
                "",
            ],
        ],
        colWidths=[16 * mm, 64 * mm, 16 * mm, 44 * mm, 20 * mm, 20 * mm],
        style=grid(
            [
                ("SPAN", (0, 0), (3, 0)),
                ("SPAN", (4, 1), (4, 2)),
                ("SPAN", (5, 1), (5, 2)),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("BACKGROUND", (0, 1), (0, -1), SHADE),
                ("BACKGROUND", (2, 1), (2, -1), SHADE),
                ("BOX", (0, 0), (-1, -1), 1.2, LINE_COLOUR),
            ]
        ),
    )


# --- the document ------------------------------------------------------------------------------


class FormCanvas(rl_canvas.Canvas):
    """Holds the pages back until the end so each can print 「n / m」, and the last one the
    administrator's box in the space every page keeps free for it at the bottom."""

    def __init__(self, *args: Any, admin_box: Table, **kwargs: Any) -> None:
        kwargs["initialFontName"] = MINCHO  # else ReportLab lists Helvetica, not embedded
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


def render_form(
    story: list[Flowable],
    *,
    admin_box: Table,
    title: str,
    subject: str,
    author: str,
    later_pages: Callable[[rl_canvas.Canvas, Any], None] | None = None,
) -> bytes:
    """The form as an A4 PDF: the administrator's box sits at the foot of the last page, like a
    preprinted form; every page keeps its space free so the body never has to leave it a page of
    its own."""
    register_fonts()
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
        subject=subject,
        author=author,
        creator="Kengen",
    )
    canvasmaker = partial(FormCanvas, admin_box=admin_box)
    if later_pages is None:
        doc.build(story, canvasmaker=canvasmaker)
    else:
        doc.build(story, onLaterPages=later_pages, canvasmaker=canvasmaker)
    return buffer.getvalue()
