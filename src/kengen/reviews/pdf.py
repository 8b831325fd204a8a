"""The paper check sheet (確認票: the matrix with a 確認欄 per person, the officer's signature and
印 box, page numbers) and the evidence report of a validity check (A5.10, A5.11)."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import SimpleDocTemplate, Spacer, Table, TableStyle

from kengen.core.era import wareki
from kengen.reviews.choices import CampaignKind, Decision
from kengen.reviews.models import ReviewCampaign
from kengen.reviews.selectors import Matrix, campaign_counts, campaign_progress, evidence_rows
from kengen.workflow.pdf import GOTHIC, MINCHO, para, register_fonts, style

SMALL = style("review-small", size=7.5)
CELL = style("review-cell", size=8)
HEAD = style("review-head", font=GOTHIC, size=8)
TITLE = style("review-title", font=GOTHIC, size=14)
BODY = style("review-body", size=9.5)

DECISION_MARK: dict[str, str] = {Decision.KEEP: "○", Decision.REVOKE: "×", Decision.CORRECT: "訂"}


class NumberedCanvas(rl_canvas.Canvas):
    """Prints 「n / m」 at the foot of every page once the page count is known."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(MINCHO, 9)
            width = self._pagesize[0]
            self.drawCentredString(width / 2, 8 * mm, f"{self._pageNumber} / {total}")
            super().showPage()
        super().save()


def _p(value: str, st: Any = CELL) -> Any:
    return para(value, st)


def _grid() -> TableStyle:
    return TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#333333")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6e6e6")),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("FONTNAME", (0, 0), (-1, -1), MINCHO),
        ]
    )


def _build(story: list, *, title: str, pagesize: tuple[float, float]) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="Kengen",
        creator="Kengen",
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


def _heading(campaign: ReviewCampaign) -> list:
    systems = "、".join(s.name for s in campaign.systems.all())
    clause = "第6条第5項" if campaign.kind == CampaignKind.TERMINALS else "第5条第10項"
    return [
        para("管理ファイル正当性確認票", TITLE),
        Spacer(1, 2 * mm),
        _p(
            f"確認名：{campaign.title}　対象：{systems}　基準日：{wareki(campaign.as_of)}　"
            f"回答期限：{wareki(campaign.deadline)}　（規程{clause}）",
            BODY,
        ),
        Spacer(1, 3 * mm),
    ]


def render_check_sheet(campaign: ReviewCampaign, matrix: Matrix) -> bytes:
    """The people × permissions matrix as the paper check sheet: ○ for each permission held, 新 for
    a permission new since the last check, a 確認欄 per person, and the officer's 印 box."""
    register_fonts()
    pagesize = landscape(A4)
    width = pagesize[0] - 24 * mm
    columns = matrix.columns or ["—"]
    fixed = [10 * mm, 20 * mm, 30 * mm, 40 * mm, 18 * mm]
    rest = max(12 * mm, (width - sum(fixed)) / max(1, len(columns)))
    header = [_p("No.", HEAD), _p("職員番号", HEAD), _p("氏名", HEAD), _p("所属", HEAD)]
    header += [_p(c, HEAD) for c in columns] + [_p("確認欄", HEAD)]
    data: list[list[Any]] = [header]
    for n, row in enumerate(matrix.rows, start=1):
        cells: list[Any] = [str(n), _p(row.staff_number), _p(row.name), _p(row.unit, SMALL)]
        for c in columns:
            item = row.cells.get(c)
            if item is None:
                cells.append("")
            else:
                mark = DECISION_MARK.get(item.decision, "○") if item.decision else "○"
                cells.append(_p(mark + ("（新）" if item.is_new else "")))
        cells.append("□")
        data.append(cells)
    widths = [*fixed[:4], *([rest] * len(columns)), fixed[4]]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(_grid())
    sign = Table(
        [
            [
                _p("確認日", HEAD),
                "　　年　　月　　日",
                _p("情報セキュリティ責任者（職・氏名）", HEAD),
                "",
                _p("印", HEAD),
                "",
            ]
        ],
        colWidths=[18 * mm, 40 * mm, 50 * mm, 60 * mm, 10 * mm, 18 * mm],
        rowHeights=[16 * mm],
    )
    sign.setStyle(_grid())
    story = [
        *_heading(campaign),
        _p(
            "○：権限あり　（新）：前回の確認以降に付与　×：取消　訂：期間訂正。確認欄に✓を記入してください。",
            SMALL,
        ),
        Spacer(1, 2 * mm),
        table,
        Spacer(1, 6 * mm),
        sign,
    ]
    return _build(story, title=f"確認票 {campaign.title}", pagesize=pagesize)


def render_evidence(user: Any, campaign: ReviewCampaign, limit: int = 5000) -> bytes:
    """The evidence of a check: scope, progress per section, who decided what and when, the
    corrections made and what is still open (A5.10, A5.11). Beyond ``limit`` items the PDF says so
    and the Excel export carries them all."""
    register_fonts()
    counts = campaign_counts(user, campaign)
    status = "確定済" if campaign.finalized_at else "実施中"
    finalized = (
        f"　確定：{wareki(timezone.localtime(campaign.finalized_at).date())}" if campaign.finalized_at else ""
    )
    story: list = [
        *_heading(campaign),
        _p(
            f"状態：{status}{finalized}　対象件数：{counts['total']}　維持：{counts['keep']}　"
            f"取消：{counts['revoke']}　訂正：{counts['correct']}　未判断：{counts['undecided']}　"
            f"督促済（未判断）：{counts['escalated']}",
            BODY,
        ),
        Spacer(1, 3 * mm),
    ]
    progress = [
        [_p("所属（情報セキュリティ責任者）", HEAD), _p("対象", HEAD), _p("判断済", HEAD), _p("進捗", HEAD)]
    ]
    for sp in campaign_progress(user, campaign):
        progress.append([_p(sp.name), str(sp.total), str(sp.decided), f"{sp.percent}%"])
    t = Table(progress, colWidths=[120 * mm, 25 * mm, 25 * mm, 25 * mm], repeatRows=1)
    t.setStyle(_grid())
    story += [t, Spacer(1, 4 * mm)]
    pick = [3, 4, 6, 7, 10, 11, 13, 14, 16]
    heads = ["ユーザID", "権限", "氏名", "所属", "判断", "理由", "判断者", "判断日時", "結果"]
    rows: list[list[Any]] = [[_p(h, HEAD) for h in heads]]
    more = False
    for n, r in enumerate(evidence_rows(user, campaign)):
        if n >= limit:
            more = True
            break
        rows.append(
            [
                _p(
                    ""
                    if r[i] is None
                    else (r[i].strftime("%Y-%m-%d %H:%M") if hasattr(r[i], "strftime") else str(r[i])),
                    SMALL,
                )
                for i in pick
            ]
        )
    items = Table(
        rows,
        colWidths=[25 * mm, 30 * mm, 25 * mm, 35 * mm, 15 * mm, 45 * mm, 20 * mm, 27 * mm, 18 * mm],
        repeatRows=1,
    )
    items.setStyle(_grid())
    story.append(items)
    if more:
        story.append(_p(f"（{limit}件を超える分はExcel出力を参照）", SMALL))
    return _build(story, title=f"正当性確認記録 {campaign.title}", pagesize=landscape(A4))
