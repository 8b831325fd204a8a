"""別記様式1 as a PDF (F1): applications made through the services, read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from pypdf import PdfReader

from kengen.applications.choices import LineAction
from kengen.applications.pdf import TITLE, render_form1
from kengen.applications.services import (
    LineSpec,
    application_create,
    application_register,
    application_reject,
    application_submit,
)
from kengen.grants.choices import Purpose
from kengen.systems.choices import SystemKind
from kengen.testing import staff

pytestmark = [pytest.mark.django_db, pytest.mark.clause("F1")]

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
SUBMITTED = dt.datetime(2026, 11, 25, 10, 0, tzinfo=TOKYO)  # 令和8年11月25日
REGISTERED = dt.datetime(2026, 11, 27, 15, 30, tzinfo=TOKYO)  # 令和8年11月27日
FROM = dt.date(2026, 12, 1)
UNTIL = dt.date(2027, 4, 1)  # exclusive: the last day printed is 令和9年3月31日


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def squeeze(text: str) -> str:
    """Extracted text without the spaces and line breaks that table cells add."""
    return "".join(text.split())


@pytest.fixture
def tax(world):
    _, tax = world.core()
    return tax


def perms(system, *codes):
    return list(system.permissions.filter(code__in=codes).order_by("sort_order", "code"))


def core_application(world, tax, people, **kwargs):
    """A draft by the security officer of 市民税課 to the COKAS-R/ADⅡ administrator."""
    lines = [
        LineSpec(
            person=p,
            system=tax,
            permissions=perms(tax, "inquiry", "update"),
            valid_from=FROM,
            valid_to=UNTIL,
        )
        for p in people
    ]
    return application_create(
        actor=world.users["shiminzei_head"],
        organization=world.shiminzei,
        system=tax,
        lines=lines,
        reason="課税事務の担当替えのため",
        **kwargs,
    )


def test_registered_application_prints_every_field_and_the_administrators_box(world, tax):
    clerk = world.people["kazei_clerk"]
    other = staff(world.kazei, family="渡辺", given="美咲")
    with time_machine.travel(SUBMITTED, tick=False):
        app = core_application(world, tax, [clerk, other])
        application_submit(actor=world.users["shiminzei_head"], application=app)
    with time_machine.travel(REGISTERED, tick=False):
        application_register(actor=world.users["joho_head"], application=app)
    app.refresh_from_db()

    data = render_form1(app)
    reader = PdfReader(io.BytesIO(data))
    text = squeeze("".join(pages_text(data)))

    assert data.startswith(b"%PDF")
    assert reader.metadata.title == f"{TITLE} {app.number}"
    assert squeeze(TITLE) in text
    assert app.number in text
    assert "COKAS-R/ADⅡ管理者様" in text
    assert "第5条第2項の規定により" in text
    assert "申請日令和8年11月25日" in text
    assert "総務部市民税課" in text  # the applying unit's full name
    assert "課長佐藤" not in text and "課長鈴木二郎" in text  # the security officer with their post
    assert "伊藤次郎" in text and "渡辺美咲" in text
    assert "ヤマダ" in text  # names in kana too
    assert clerk.staff_number in text
    assert "総務部市民税課課税係" in text  # each person's unit
    assert "個人住民税" in text
    assert "照会、更新" in text
    assert "登録" in text
    assert "令和8年12月1日〜令和9年3月31日" in text  # the inclusive last day
    assert "■所掌事務の執行" in text and "□教育研修" in text and "□その他" in text
    assert "課税事務の担当替えのため" in text
    # 管理者記入欄: received on submission, registered on the decision, by the administrator.
    box = text[text.index("管理者記入欄") :]
    assert "受付日令和8年11月25日" in box
    assert "登録日令和8年11月27日" in box
    assert "■登録済" in box
    assert "高橋三郎" in box
    assert "（未提出）" not in text


def test_user_ids_written_at_registration_are_printed(world, tax):
    clerk = world.people["kazei_clerk"]
    with time_machine.travel(SUBMITTED, tick=False):
        app = core_application(world, tax, [clerk])
        application_submit(actor=world.users["shiminzei_head"], application=app)
        application_register(actor=world.users["joho_head"], application=app)
    app.refresh_from_db()
    line = app.lines.get()
    assert line.user_id
    assert line.user_id in squeeze("".join(pages_text(render_form1(app))))


def test_draft_shows_the_officer_and_an_empty_administrators_box(world, tax):
    with time_machine.travel(SUBMITTED, tick=False):
        app = core_application(world, tax, [world.people["kazei_clerk"]])

    text = squeeze("".join(pages_text(render_form1(app))))

    assert "申請日令和8年11月25日" in text  # a draft is dated when it was created
    assert f"{app.number}（未提出）" in text
    assert "鈴木二郎" in text
    box = text[text.index("管理者記入欄") :]
    assert "■" not in box
    assert "登録日令和年月日" in box
    assert "高橋三郎" not in box


def test_other_purpose_prints_the_approval(world, tax):
    officer = world.people["shiminzei_head"]
    with time_machine.travel(SUBMITTED, tick=False):
        app = core_application(
            world,
            tax,
            [world.people["kazei_clerk"]],
            purpose=Purpose.OTHER,
            purpose_note="システム移行の検証作業",
            purpose_approved_by=officer,
            purpose_approved_on=dt.date(2026, 11, 20),
        )

    text = squeeze("".join(pages_text(render_form1(app))))

    assert "□所掌事務の執行" in text and "■その他" in text
    assert "情報セキュリティ責任者承認：鈴木二郎承認日：令和8年11月20日" in text
    assert "システム移行の検証作業" in text


def test_individual_system_is_addressed_to_its_administrator_and_rejection_is_printed(world):
    system = world.system("JINJI-SYS", "人事給与システム")
    clerk = world.people["jinji_clerk"]
    with time_machine.travel(SUBMITTED, tick=False):
        app = application_create(
            actor=world.users["shokuin_head"],
            organization=world.shokuin,
            system=system,
            lines=[
                LineSpec(
                    person=clerk,
                    system=system,
                    permissions=perms(system, "inquiry"),
                    action=LineAction.REGISTER,
                    valid_from=FROM,
                )
            ],
        )
        application_submit(actor=world.users["shokuin_head"], application=app)
        application_reject(actor=world.users["shokuin_head"], application=app, reason="権限の根拠が不明")
    app.refresh_from_db()

    text = squeeze("".join(pages_text(render_form1(app))))

    assert "人事給与システム個別システム管理者様" in text
    assert "総務部職員課" in text
    assert "田中花子" in text
    assert "令和8年12月1日〜" in text  # open-ended
    box = text[text.index("管理者記入欄") :]
    assert "□登録済■差戻し（理由：権限の根拠が不明）" in box
    assert "受付日令和8年11月25日" in box
    assert "登録日令和年月日" in box  # rejected: nothing registered
    assert "佐藤一郎" in box


def test_two_factor_route_cites_article_6(world):
    terminals = world.system("2FA", "二要素認証システム", SystemKind.TWO_FACTOR, owner=world.joho)
    with time_machine.travel(SUBMITTED, tick=False):
        app = application_create(
            actor=world.users["shokuin_head"],
            organization=world.shokuin,
            system=terminals,
            lines=[
                LineSpec(
                    person=world.people["jinji_clerk"],
                    system=terminals,
                    permissions=perms(terminals, "inquiry"),
                    valid_from=FROM,
                )
            ],
        )

    text = squeeze("".join(pages_text(render_form1(app))))

    assert "二要素認証システム管理者様" in text
    assert "第6条第2項の規定により" in text
    assert "第5条第2項" not in text


def test_a_reason_longer_than_a_page_flows_on(world, tax):
    reason = "異動に伴う事務分担の変更のため。" * 400
    with time_machine.travel(SUBMITTED, tick=False):
        app = core_application(world, tax, [world.people["kazei_clerk"]])
    app.reason = reason  # longer than the form leaves room for on one page
    app.save(update_fields=["reason"])

    text = [squeeze(t) for t in pages_text(render_form1(app))]

    assert len(text) >= 2
    assert "伊藤次郎" in "".join(text)
    assert "管理者記入欄" in text[-1]


def test_blank_form_has_one_page_the_title_and_no_names(world):
    data = render_form1(None)
    text = pages_text(data)
    flat = squeeze(text[0])

    assert len(text) == 1
    assert squeeze(TITLE) in flat
    assert "令和年月日" in flat  # era placeholders to fill in by hand
    assert "第5条第2項（第6条第2項）の規定により" in flat
    assert "□COKAS-R/ADⅡ管理者" in flat
    assert "□所掌事務の執行" in flat and "■" not in flat
    assert "管理者記入欄" in flat
    assert "1/1" in flat
    for person in world.people.values():
        assert person.family_name not in flat
    assert PdfReader(io.BytesIO(data)).metadata.title == TITLE


def test_forty_lines_flow_onto_further_pages_with_the_header_repeated(world, tax):
    people = [staff(world.kazei, family="中村", given=f"職員{i}") for i in range(40)]
    with time_machine.travel(SUBMITTED, tick=False):
        app = core_application(world, tax, people)

    text = [squeeze(t) for t in pages_text(render_form1(app))]
    total = len(text)

    assert total >= 2
    with_lines = [page for page in text if "中村" in page]
    assert len(with_lines) >= 2
    for page in with_lines:  # the header row is repeated on every page the table reaches
        assert "No.職員番号フリガナ氏名所属システム権限区分期間ユーザID" in page
    for i, page in enumerate(text, start=1):
        assert f"{i}/{total}" in page
    assert squeeze(TITLE) + "（続き）" in text[1]
    joined = "".join(text)
    for person in people:
        assert person.full_name.replace(" ", "") in joined
    assert "管理者記入欄" in text[-1]
