"""The text each user acknowledges under A9 (Arts. 67 and 69(1) of the Act on the Protection of
Personal Information, 個人情報の保護に関する法律), kept by version.

An acknowledgement records the version it was given for, so the text read on any past date can be
shown again. To change the text, add a new version here (never edit a published one): everyone is
then asked to acknowledge the new version at their next sign-in.

The text is the municipality's own statement of the duties and is shown in Japanese, as the
regulation is; it is content, not a user-interface string, so it is not translated.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DutySection:
    heading: str
    body: str
    basis: str = ""


@dataclass(frozen=True)
class DutyText:
    version: str
    title: str
    intro: str
    sections: tuple[DutySection, ...]
    pledge: str

    def as_plain_text(self) -> str:
        parts = [self.title, "", self.intro, ""]
        for i, s in enumerate(self.sections, start=1):
            parts += [f"{i}. {s.heading}" + (f"（{s.basis}）" if s.basis else ""), s.body, ""]
        parts.append(self.pledge)
        return "\n".join(parts)


TEXTS: dict[str, DutyText] = {}


def _add(text: DutyText) -> None:
    TEXTS[text.version] = text


_add(
    DutyText(
        version="2025.1",
        title="個人情報の保護に関する義務の確認",
        intro=(
            "行政情報システムを使用する職員は、個人情報の保護に関する法律及びこの規程に従い、"
            "個人情報を適正に取り扱わなければなりません。次の事項を確認してください。"
        ),
        sections=(
            DutySection(
                heading="従事者の義務",
                basis="個人情報の保護に関する法律第67条",
                body=(
                    "個人情報の取扱いに従事する職員は、その業務に関して知り得た個人情報の内容を"
                    "みだりに他人に知らせ、又は不当な目的に利用してはなりません。"
                    "職員でなくなった後も同様です。"
                ),
            ),
            DutySection(
                heading="利用及び提供の制限",
                basis="同法第69条第1項",
                body=(
                    "法令に基づく場合を除き、利用目的以外の目的のために保有個人情報を自ら利用し、"
                    "又は提供してはなりません。システムは、自らの職務、研修、又は情報セキュリティ"
                    "責任者が承認した目的のためにだけ使用します（第10条）。"
                ),
            ),
            DutySection(
                heading="漏えい防止の措置",
                basis="第9条第2項",
                body=(
                    "保有個人情報の漏えい、滅失又は毀損を防ぐため、定められた安全管理措置を守ります。"
                    "個人情報を含む資料やデータを許可なく複製し、持ち出し、又は私物の機器や外部の"
                    "サービスに保存しません。漏えい等のおそれに気付いたときは、直ちに情報セキュリティ"
                    "責任者に報告します。"
                ),
            ),
            DutySection(
                heading="端末の使用に当たっての注意",
                basis="第9条第1項",
                body=(
                    "端末を使用するときは、画面を関係のない人に見られないよう配置と表示に注意し、"
                    "離席するときは画面をロックするか、ログアウトします。利用者IDとパスワードを"
                    "他人に教えたり、他人の利用者IDを使ったりしません（第8条第5項）。"
                ),
            ),
        ),
        pledge=(
            "私は、上記の義務を理解し、これを守ります。違反した場合は、同法の罰則"
            "（第176条、第180条）や懲戒処分の対象となることがあることを承知しています。"
        ),
    )
)

#: The version users acknowledge now: the last one added.
CURRENT_VERSION = next(reversed(TEXTS))


def current_text() -> DutyText:
    return TEXTS[CURRENT_VERSION]  # read at call time (tests may switch versions)


def text_of(version: str) -> DutyText | None:
    return TEXTS.get(version)
