"""The Kitami City profile (北見市): the tables of
北見市行政情報システムの管理運用に関する取扱要領 as amended by
令和6年3月8日内規第50号 (effective 令和6年4月1日), the offices they name, and synthetic
demo data.

Everything below is data. ``kengen.profiles.services.profile_load`` writes it through the domain
services. The organization tree is shaped so that every line of 別表第2 renders from the data
exactly as the regulation prints it (full name = the names of the unit's ancestors below the city,
then its own; a qualifier names 係 below the unit). Units other than those 別表第2 names are a
plausible, not an authoritative, picture of Kitami's offices. All people are fictitious.
"""

from __future__ import annotations

import datetime as dt

from kengen.profiles.schema import (
    AccessRule,
    ContractorDef,
    DemoLogin,
    EvidenceDef,
    ExternalServiceDef,
    MaintenanceAccountDef,
    MaintenanceDef,
    PostDef,
    Profile,
    SystemDef,
    Table2Line,
    UnitDef,
)

EFFECTIVE = dt.date(2024, 4, 1)  # 令和6年4月1日
SOURCE = "令和6年3月8日内規第50号"


# --- Organization tree -------------------------------------------------------------------------


def _unit(kind: str, label: str, children, **kw) -> UnitDef:
    """``label`` is ``"code name kana"``: e.g. ``"D01-K02 職員課 ショクインカ"``."""
    code, name, kana = label.split()
    return UnitDef(code=code, name=name, kana=kana, kind=kind, children=tuple(children), **kw)


def dept(label: str, *children: UnitDef, **kw) -> UnitDef:
    """部 (department): no security officer of its own; its 課 have one."""
    return _unit("department", label, children, **kw)


def office(label: str, *children: UnitDef, **kw) -> UnitDef:
    """室 (office) inside a department."""
    return _unit("office", label, children, **kw)


def div(label: str, *children: UnitDef, **kw) -> UnitDef:
    """課 (division): its head (課長) is a security officer."""
    return _unit("division", label, children, security=True, **kw)


def sec(label: str, **kw) -> UnitDef:
    """係 (section)."""
    return _unit("section", label, (), **kw)


def general_branch(label: str, *children: UnitDef, **kw) -> UnitDef:
    """総合支所 (general branch office)."""
    return _unit("general_branch", label, children, **kw)


def branch(label: str, *children: UnitDef, **kw) -> UnitDef:
    """支所 (branch office): its head (支所長) is a security officer."""
    return _unit("branch", label, children, security=True, **kw)


def sub_branch(label: str, **kw) -> UnitDef:
    """出張所 (sub-branch office): its head (所長) is a security officer."""
    return _unit("sub_branch", label, (), security=True, **kw)


def secretariat(label: str, *children: UnitDef, security: bool = False, **kw) -> UnitDef:
    """事務局: a security unit itself when it has no 課 below it."""
    return _unit("secretariat", label, children, security=security, **kw)


def facility(label: str, *children: UnitDef, security: bool = False, **kw) -> UnitDef:
    """センター, 図書館, 教育事務所 …"""
    return _unit("facility", label, children, security=security, **kw)


def _general_branch_office(b: str, name: str, kana: str, *extra: UnitDef) -> UnitDef:
    """端野・常呂・留辺蘂総合支所: the same four 課 in each (別表第2 names three of them)."""
    return general_branch(
        f"{b} {name} {kana}",
        div(
            f"{b}-K01 総務課 ソウムカ",
            sec(f"{b}-K01-S01 総務係 ソウムカカリ"),
            sec(f"{b}-K01-S02 税務管財係 ゼイムカンザイカカリ", members=2),
        ),
        div(
            f"{b}-K02 市民環境課 シミンカンキョウカ",
            sec(f"{b}-K02-S01 市民活動係 シミンカツドウカカリ"),
            sec(f"{b}-K02-S02 住民係 ジュウミンカカリ", members=2, fiscal_year=1),
        ),
        div(
            f"{b}-K03 保健福祉課 ホケンフクシカ",
            sec(f"{b}-K03-S01 地域福祉係 チイキフクシカカリ", members=2),
            sec(f"{b}-K03-S02 健康推進係 ケンコウスイシンカカリ", fiscal_year=1),
        ),
        div(f"{b}-K04 産業課 サンギョウカ", sec(f"{b}-K04-S01 産業振興係 サンギョウシンコウカカリ")),
        *extra,
    )


def _education_office(e: str, name: str, kana: str) -> UnitDef:
    """教育事務所 (education office of a former town) and its 総務課."""
    return facility(
        f"{e} {name} {kana}",
        div(f"{e}-K01 総務課 ソウムカ", members=2, fiscal_year=1),
        head="shocho",
    )


def _farmland_secretariat(j: str, name: str, kana: str) -> UnitDef:
    """農業委員会事務局 and its 農地課."""
    return secretariat(
        f"{j} {name} {kana}",
        div(f"{j}-K01 農地課 ノウチカ", sec(f"{j}-K01-S01 農地係 ノウチカカリ")),
    )


CITY = UnitDef(
    code="KITAMI",
    name="北見市",
    kana="キタミシ",
    kind="city",
    children=(
        dept(
            "D01 総務部 ソウムブ",
            div(
                "D01-K01 総務課 ソウムカ",
                sec("D01-K01-S01 総務係 ソウムカカリ"),
                sec("D01-K01-S02 文書法制係 ブンショホウセイカカリ"),
            ),
            div(
                "D01-K02 職員課 ショクインカ",
                sec("D01-K02-S01 人事係 ジンジカカリ", members=2),
                sec("D01-K02-S02 給与係 キュウヨカカリ", members=2),
                sec("D01-K02-S03 厚生係 コウセイカカリ"),
            ),
            div(
                "D01-K03 契約課 ケイヤクカ",
                sec("D01-K03-S01 契約係 ケイヤクカカリ"),
                sec("D01-K03-S02 検査係 ケンサカカリ"),
            ),
            div(
                "D01-K04 市民税課 シミンゼイカ",
                sec("D01-K04-S01 市民税係 シミンゼイカカリ", members=3),
                sec("D01-K04-S02 諸税係 ショゼイカカリ", members=2),
            ),
            div(
                "D01-K05 資産税課 シサンゼイカ",
                sec("D01-K05-S01 土地係 トチカカリ", members=2),
                sec("D01-K05-S02 家屋係 カオクカカリ", members=2),
            ),
            div(
                "D01-K06 納税課 ノウゼイカ",
                sec("D01-K06-S01 収納係 シュウノウカカリ", fiscal_year=1),
                sec("D01-K06-S02 納税係 ノウゼイカカリ", members=2),
            ),
        ),
        dept(
            "D02 企画財政部 キカクザイセイブ",
            div(
                "D02-K01 企画政策課 キカクセイサクカ",
                sec("D02-K01-S01 企画調整係 キカクチョウセイカカリ"),
                sec("D02-K01-S02 政策推進係 セイサクスイシンカカリ"),
            ),
            div(
                "D02-K02 財政課 ザイセイカ",
                sec("D02-K02-S01 財政係 ザイセイカカリ", members=2),
                sec("D02-K02-S02 行政改革係 ギョウセイカイカクカカリ"),
            ),
            div("D02-K03 広報広聴課 コウホウコウチョウカ", sec("D02-K03-S01 広報係 コウホウカカリ")),
            office(
                "D02-R01 DX推進室 ディーエックススイシンシツ",
                div(
                    "D02-R01-K01 情報システム課 ジョウホウシステムカ",
                    sec("D02-R01-K01-S01 システム管理係 システムカンリカカリ", members=2),
                    sec("D02-R01-K01-S02 ネットワーク係 ネットワークカカリ", members=2),
                ),
                div(
                    "D02-R01-K02 デジタル推進課 デジタルスイシンカ",
                    sec("D02-R01-K02-S01 デジタル推進係 デジタルスイシンカカリ"),
                ),
            ),
        ),
        dept(
            "D03 市民環境部 シミンカンキョウブ",
            div(
                "D03-K01 市民活動課 シミンカツドウカ",
                sec("D03-K01-S01 市民活動係 シミンカツドウカカリ"),
            ),
            div(
                "D03-K02 戸籍住民課 コセキジュウミンカ",
                sec("D03-K02-S01 戸籍係 コセキカカリ", members=2, fiscal_year=1),
                sec("D03-K02-S02 住民記録係 ジュウミンキロクカカリ", members=2, fiscal_year=1),
                sec("D03-K02-S03 やすらぎ苑係 ヤスラギエンカカリ"),
            ),
            div(
                "D03-K03 窓口課 マドグチカ",
                sec("D03-K03-S01 証明係 ショウメイカカリ", members=2, fiscal_year=2),
                sec("D03-K03-S02 届出係 トドケデカカリ", members=2, fiscal_year=1),
            ),
            div(
                "D03-K04 環境課 カンキョウカ",
                sec("D03-K04-S01 環境政策係 カンキョウセイサクカカリ"),
                sec("D03-K04-S02 生活環境係 セイカツカンキョウカカリ"),
            ),
            div("D03-K05 清掃事業課 セイソウジギョウカ", sec("D03-K05-S01 業務係 ギョウムカカリ")),
            branch("D03-B01 相内支所 アイノナイシショ", members=2),
            sub_branch("D03-T01 上常呂出張所 カミトコロシュッチョウジョ", members=1),
            sub_branch("D03-T02 仁頃出張所 ニコロシュッチョウジョ", members=1),
            sub_branch("D03-T03 東相内出張所 ヒガシアイノナイシュッチョウジョ", members=1),
        ),
        dept(
            "D04 保健福祉部 ホケンフクシブ",
            div(
                "D04-K01 総務課 ソウムカ",
                sec("D04-K01-S01 総務係 ソウムカカリ"),
                sec("D04-K01-S02 指導第1係 シドウダイイチカカリ"),
                sec("D04-K01-S03 指導第2係 シドウダイニカカリ"),
            ),
            div(
                "D04-K02 障がい福祉課 ショウガイフクシカ",
                sec("D04-K02-S01 障がい福祉係 ショウガイフクシカカリ", members=2),
                sec("D04-K02-S02 自立支援係 ジリツシエンカカリ", fiscal_year=1),
            ),
            div(
                "D04-K03 介護福祉課 カイゴフクシカ",
                sec("D04-K03-S01 介護保険係 カイゴホケンカカリ", members=2),
                sec("D04-K03-S02 介護認定係 カイゴニンテイカカリ", fiscal_year=2),
                sec("D04-K03-S03 地域支援係 チイキシエンカカリ"),
            ),
            div(
                "D04-K04 保護課 ホゴカ",
                sec("D04-K04-S01 保護第1係 ホゴダイイチカカリ", members=2),
                sec("D04-K04-S02 保護第2係 ホゴダイニカカリ", members=2),
            ),
            div(
                "D04-K05 国保医療課 コクホイリョウカ",
                sec("D04-K05-S01 国保係 コクホカカリ", members=2),
                sec("D04-K05-S02 医療給付係 イリョウキュウフカカリ", fiscal_year=1),
                sec("D04-K05-S03 年金係 ネンキンカカリ"),
            ),
            div(
                "D04-K06 健康推進課 ケンコウスイシンカ",
                sec("D04-K06-S01 健康づくり係 ケンコウヅクリカカリ", fiscal_year=1),
                sec("D04-K06-S02 母子保健係 ボシホケンカカリ", fiscal_year=2),
            ),
        ),
        dept(
            "D05 子ども未来部 コドモミライブ",
            div(
                "D05-K01 子ども支援課 コドモシエンカ",
                sec("D05-K01-S01 子育て支援係 コソダテシエンカカリ", members=2),
                sec("D05-K01-S02 家庭児童相談係 カテイジドウソウダンカカリ", fiscal_year=1),
            ),
            div(
                "D05-K02 保育課 ホイクカ",
                sec("D05-K02-S01 保育係 ホイクカカリ", members=2, fiscal_year=2),
                sec("D05-K02-S02 入所係 ニュウショカカリ", fiscal_year=2),
            ),
            div(
                "D05-K03 保育施設課 ホイクシセツカ",
                sec("D05-K03-S01 管理係 カンリカカリ"),
                sec("D05-K03-S02 施設運営係 シセツウンエイカカリ", fiscal_year=3),
            ),
        ),
        dept(
            "D06 商工観光部 ショウコウカンコウブ",
            div(
                "D06-K01 商工業振興課 ショウコウギョウシンコウカ",
                sec("D06-K01-S01 商工振興係 ショウコウシンコウカカリ"),
            ),
            div(
                "D06-K02 観光振興課 カンコウシンコウカ",
                sec("D06-K02-S01 観光振興係 カンコウシンコウカカリ"),
            ),
        ),
        dept(
            "D07 農林水産部 ノウリンスイサンブ",
            div("D07-K01 農林振興課 ノウリンシンコウカ", sec("D07-K01-S01 農政係 ノウセイカカリ")),
            div("D07-K02 農村整備課 ノウソンセイビカ", sec("D07-K02-S01 整備係 セイビカカリ")),
        ),
        dept(
            "D08 都市建設部 トシケンセツブ",
            div("D08-K01 都市計画課 トシケイカクカ", sec("D08-K01-S01 計画係 ケイカクカカリ")),
            div("D08-K02 建築課 ケンチクカ", sec("D08-K02-S01 建築指導係 ケンチクシドウカカリ")),
            div(
                "D08-K03 公営住宅管理課 コウエイジュウタクカンリカ",
                sec("D08-K03-S01 管理係 カンリカカリ", members=2),
                sec("D08-K03-S02 入居係 ニュウキョカカリ", fiscal_year=1),
            ),
            div("D08-K04 道路河川課 ドウロカセンカ", sec("D08-K04-S01 道路係 ドウロカカリ")),
        ),
        div(
            "A01 会計課 カイケイカ",
            sec("A01-S01 出納係 スイトウカカリ", members=2),
            sec("A01-S02 審査係 シンサカカリ", members=2),
        ),
        _general_branch_office("B01", "端野総合支所", "タンノソウゴウシショ"),
        _general_branch_office("B02", "常呂総合支所", "トコロソウゴウシショ"),
        _general_branch_office(
            "B03",
            "留辺蘂総合支所",
            "ルベシベソウゴウシショ",
            branch("B03-B01 温根湯温泉支所 オンネユオンセンシショ", members=1, fiscal_year=1),
        ),
        dept(
            "D09 学校教育部 ガッコウキョウイクブ",
            div(
                "D09-K01 総務課 ソウムカ",
                sec("D09-K01-S01 総務係 ソウムカカリ"),
                sec("D09-K01-S02 施設係 シセツカカリ"),
            ),
            div(
                "D09-K02 学校教育課 ガッコウキョウイクカ",
                sec("D09-K02-S01 学務係 ガクムカカリ", members=2),
            ),
            div(
                "D09-K03 学校給食課 ガッコウキュウショクカ",
                sec("D09-K03-S01 総務係 ソウムカカリ"),
                sec("D09-K03-S02 業務係 ギョウムカカリ"),
            ),
            facility(
                "D09-F01 北見市学校給食センター キタミシガッコウキュウショクセンター",
                security=True,
                head="center_cho",
                members=2,
                fiscal_year=4,
            ),
        ),
        dept(
            "D10 社会教育部 シャカイキョウイクブ",
            div(
                "D10-K01 社会教育課 シャカイキョウイクカ",
                sec("D10-K01-S01 社会教育係 シャカイキョウイクカカリ"),
            ),
            div(
                "D10-K02 スポーツ課 スポーツカ",
                sec("D10-K02-S01 スポーツ振興係 スポーツシンコウカカリ"),
            ),
            facility(
                "D10-F01 中央図書館 チュウオウトショカン",
                sec("D10-F01-S01 管理係 カンリカカリ"),
                sec("D10-F01-S02 奉仕係 ホウシカカリ", fiscal_year=3),
                security=True,
                head="kancho",
            ),
        ),
        _education_office("E01", "端野教育事務所", "タンノキョウイクジムショ"),
        _education_office("E02", "常呂教育事務所", "トコロキョウイクジムショ"),
        _education_office("E03", "留辺蘂教育事務所", "ルベシベキョウイクジムショ"),
        secretariat(
            "J01 議会事務局 ギカイジムキョク",
            sec("J01-S01 総務係 ソウムカカリ"),
            sec("J01-S02 議事調査係 ギジチョウサカカリ"),
            security=True,
        ),
        secretariat(
            "J02 選挙管理委員会事務局 センキョカンリイインカイジムキョク",
            sec("J02-S01 選挙係 センキョカカリ", members=2),
            security=True,
        ),
        secretariat(
            "J03 監査委員事務局 カンサイインジムキョク",
            sec("J03-S01 監査係 カンサカカリ", members=2),
            security=True,
        ),
        _farmland_secretariat("J04", "第一農業委員会事務局", "ダイイチノウギョウイインカイジムキョク"),
        _farmland_secretariat("J05", "第二農業委員会事務局", "ダイニノウギョウイインカイジムキョク"),
    ),
)


# --- Posts -------------------------------------------------------------------------------------

POSTS = (
    PostDef("bucho", "部長", "ブチョウ", is_head=True, rank=10),
    PostDef("sogo_shishocho", "総合支所長", "ソウゴウシショチョウ", is_head=True, rank=10),
    PostDef("jimukyokucho", "事務局長", "ジムキョクチョウ", is_head=True, rank=15),
    PostDef("shitsucho", "室長", "シツチョウ", is_head=True, rank=20),
    PostDef("kacho", "課長", "カチョウ", is_head=True, rank=30),
    PostDef("shishocho", "支所長", "シショチョウ", is_head=True, rank=30),
    PostDef("shocho", "所長", "ショチョウ", is_head=True, rank=30),
    PostDef("center_cho", "センター長", "センターチョウ", is_head=True, rank=30),
    PostDef("kancho", "館長", "カンチョウ", is_head=True, rank=30),
    PostDef("kakaricho", "係長", "カカリチョウ", is_head=True, rank=50),
    PostDef("shusa", "主査", "シュサ", is_head=False, rank=60),
    PostDef("shunin", "主任", "シュニン", is_head=False, rank=70),
    PostDef("shuji", "主事", "シュジ", is_head=False, rank=80),
    PostDef(
        "kaikei_nendo",
        "会計年度任用職員",
        "カイケイネンドニンヨウショクイン",
        is_head=False,
        rank=90,
    ),
)

#: The head post a unit's kind implies (``UnitDef.head`` overrides it).
HEAD_POSTS = {
    "department": "bucho",
    "office": "shitsucho",
    "division": "kacho",
    "section": "kakaricho",
    "general_branch": "sogo_shishocho",
    "branch": "shishocho",
    "sub_branch": "shocho",
    "secretariat": "jimukyokucho",
    "facility": "shocho",
}


# --- Systems (別表第1 and the rest) -------------------------------------------------------------

IT_DIVISION = "D02-R01-K01"  # 企画財政部DX推進室情報システム課 (A3)

CORE = SystemDef(
    code="COKAS",
    name="COKAS-R/ADⅡ",
    kana="コーカスアールエーディーツー",
    kind="core",
    owner=IT_DIVISION,
    specific_personal_info=True,
)

_CORE_PERMISSIONS = (("inquiry", "照会"), ("update", "更新"), ("admin", "管理"))


def _business(code: str, name: str, kana: str) -> SystemDef:
    return SystemDef(
        code=f"COKAS-{code}",
        name=name,
        kana=kana,
        kind="core_business",
        owner=IT_DIVISION,
        specific_personal_info=True,
        permissions=_CORE_PERMISSIONS,
    )


#: 別表第1, in the order printed.
BUSINESS_SYSTEMS = (
    _business("ATENA", "宛名管理", "アテナカンリ"),
    _business("KOJINZEI", "個人住民税", "コジンジュウミンゼイ"),
    _business("KEIJIDOSHA", "軽自動車税", "ケイジドウシャゼイ"),
    _business("HOJINZEI", "法人住民税", "ホウジンジュウミンゼイ"),
    _business("KOTEISHISAN", "固定資産税", "コテイシサンゼイ"),
    _business("SHUNO", "収納", "シュウノウ"),
    _business("JUKI", "住民基本台帳", "ジュウミンキホンダイチョウ"),
    _business("INKAN", "印鑑登録", "インカントウロク"),
    _business("NENKIN", "国民年金", "コクミンネンキン"),
    _business("KOKUHO", "国民健康保険料", "コクミンケンコウホケンリョウ"),
    _business("KOKI", "後期高齢者医療保険料", "コウキコウレイシャイリョウホケンリョウ"),
    _business("KAIGO", "介護保険料", "カイゴホケンリョウ"),
    _business("SENKYO", "選挙", "センキョ"),
)

SYSTEMS = (
    SystemDef(
        code="2FA",
        name="二要素認証システム",
        kana="ニヨウソニンショウシステム",
        kind="two_factor",
        owner=IT_DIVISION,
        permissions=(("terminal", "端末使用"),),
    ),
    SystemDef(
        code="CHUKAN",
        name="中間サーバー",
        kana="チュウカンサーバー",
        kind="intermediate",
        owner=IT_DIVISION,
        specific_personal_info=True,
        permissions=(("inquiry", "照会"), ("update", "更新")),
    ),
    SystemDef(
        code="ZAIMU",
        name="財務会計システム",
        kana="ザイムカイケイシステム",
        kind="individual",
        owner="A01",
        permissions=(
            ("inquiry", "照会"),
            ("entry", "起票"),
            ("approve", "決裁"),
            ("admin", "管理"),
        ),
    ),
    SystemDef(
        code="JINJI",
        name="人事給与システム",
        kana="ジンジキュウヨシステム",
        kind="individual",
        owner="D01-K02",
        permissions=(("inquiry", "照会"), ("update", "更新"), ("admin", "管理")),
    ),
    SystemDef(
        code="BUNSHO",
        name="文書管理システム",
        kana="ブンショカンリシステム",
        kind="individual",
        owner="D01-K01",
        permissions=(("user", "利用"), ("admin", "管理")),
    ),
    SystemDef(
        code="FUKUSHI",
        name="福祉総合システム",
        kana="フクシソウゴウシステム",
        kind="individual",
        owner="D04-K01",
        specific_personal_info=True,
        permissions=(("inquiry", "照会"), ("update", "更新"), ("admin", "管理")),
    ),
    SystemDef(
        code="KENKO",
        name="健康管理システム",
        kana="ケンコウカンリシステム",
        kind="individual",
        owner="D04-K06",
        specific_personal_info=True,
        permissions=(("inquiry", "照会"), ("update", "更新")),
    ),
    SystemDef(
        code="TOSHOKAN",
        name="図書館システム",
        kana="トショカンシステム",
        kind="individual",
        owner="D10-F01",
        permissions=(("circulation", "貸出返却"), ("catalog", "資料管理"), ("admin", "管理")),
    ),
)


# --- 別表第2 (第5条関係), as printed ----------------------------------------------------------

TABLE2 = (
    Table2Line("企画財政部DX推進室情報システム課", IT_DIVISION),
    Table2Line("総務部職員課(人事係及び給与係に限る。)", "D01-K02", "only", ("D01-K02-S01", "D01-K02-S02")),
    Table2Line("総務部市民税課", "D01-K04"),
    Table2Line("総務部資産税課", "D01-K05"),
    Table2Line("総務部納税課", "D01-K06"),
    Table2Line("市民環境部戸籍住民課(やすらぎ苑係を除く。)", "D03-K02", "except", ("D03-K02-S03",)),
    Table2Line("市民環境部窓口課", "D03-K03"),
    Table2Line("市民環境部環境課(生活環境係に限る。)", "D03-K04", "only", ("D03-K04-S02",)),
    Table2Line("市民環境部相内支所", "D03-B01"),
    Table2Line("市民環境部上常呂出張所", "D03-T01"),
    Table2Line("市民環境部仁頃出張所", "D03-T02"),
    Table2Line("市民環境部東相内出張所", "D03-T03"),
    Table2Line(
        "保健福祉部総務課(指導第1係及び指導第2係を除く。)",
        "D04-K01",
        "except",
        ("D04-K01-S02", "D04-K01-S03"),
    ),
    Table2Line("保健福祉部障がい福祉課", "D04-K02"),
    Table2Line("保健福祉部介護福祉課(地域支援係を除く。)", "D04-K03", "except", ("D04-K03-S03",)),
    Table2Line("保健福祉部保護課", "D04-K04"),
    Table2Line("保健福祉部国保医療課", "D04-K05"),
    Table2Line("子ども未来部子ども支援課", "D05-K01"),
    Table2Line("子ども未来部保育課", "D05-K02"),
    Table2Line("子ども未来部保育施設課(管理係に限る。)", "D05-K03", "only", ("D05-K03-S01",)),
    Table2Line("都市建設部公営住宅管理課", "D08-K03"),
    Table2Line("会計課(出納係に限る。)", "A01", "only", ("A01-S01",)),
    Table2Line("端野総合支所総務課(税務管財係に限る。)", "B01-K01", "only", ("B01-K01-S02",)),
    Table2Line("端野総合支所市民環境課(市民活動係を除く。)", "B01-K02", "except", ("B01-K02-S01",)),
    Table2Line("端野総合支所保健福祉課(地域福祉係に限る。)", "B01-K03", "only", ("B01-K03-S01",)),
    Table2Line("常呂総合支所総務課(税務管財係に限る。)", "B02-K01", "only", ("B02-K01-S02",)),
    Table2Line("常呂総合支所市民環境課(市民活動係を除く。)", "B02-K02", "except", ("B02-K02-S01",)),
    Table2Line("常呂総合支所保健福祉課(地域福祉係に限る。)", "B02-K03", "only", ("B02-K03-S01",)),
    Table2Line("留辺蘂総合支所総務課(税務管財係に限る。)", "B03-K01", "only", ("B03-K01-S02",)),
    Table2Line("留辺蘂総合支所市民環境課(市民活動係を除く。)", "B03-K02", "except", ("B03-K02-S01",)),
    Table2Line("留辺蘂総合支所保健福祉課(地域福祉係に限る。)", "B03-K03", "only", ("B03-K03-S01",)),
    Table2Line("留辺蘂総合支所温根湯温泉支所", "B03-B01"),
    Table2Line("学校教育部総務課(施設係に限る。)", "D09-K01", "only", ("D09-K01-S02",)),
    Table2Line("学校教育部学校教育課", "D09-K02"),
    Table2Line("学校教育部学校給食課(総務係に限る。)", "D09-K03", "only", ("D09-K03-S01",)),
    Table2Line("学校教育部北見市学校給食センター", "D09-F01"),
    Table2Line("端野教育事務所総務課", "E01-K01"),
    Table2Line("第一農業委員会事務局農地課", "J04-K01"),
    Table2Line("第二農業委員会事務局農地課", "J05-K01"),
)


# --- Demo data: who holds what in the initial management file ------------------------------------

_IU = ("inquiry", "update")
_I = ("inquiry",)


def _core(units: tuple[str, ...], grants: dict[str, tuple[str, ...]], **kw) -> tuple[AccessRule, ...]:
    """Rules for business systems of the core package, named without the ``COKAS-`` prefix."""
    return tuple(
        AccessRule(system=s if s == "*" else f"{CORE.code}-{s}", permissions=p, units=units, **kw)
        for s, p in grants.items()
    )


_BRANCH_CODES = ("B01", "B02", "B03")

ACCESS: tuple[AccessRule, ...] = (
    # COKAS-R/ADⅡ business systems, by the 別表第2 organization (qualifiers respected by `units`).
    *_core((IT_DIVISION,), {"*": ("inquiry",)}),
    *_core((f"{IT_DIVISION}-S01",), {"*": ("admin",)}),
    *_core(("D01-K02-S01", "D01-K02-S02"), {"ATENA": _I, "KOJINZEI": _I}),
    *_core(
        ("D01-K04",),
        {"ATENA": _IU, "KOJINZEI": _IU, "KEIJIDOSHA": _IU, "HOJINZEI": _IU, "SHUNO": _I},
    ),
    *_core(("D01-K05",), {"ATENA": _I, "KOTEISHISAN": _IU, "SHUNO": _I}),
    *_core(
        ("D01-K06",),
        {"ATENA": _I, "SHUNO": _IU, "KOJINZEI": _I, "KEIJIDOSHA": _I, "KOTEISHISAN": _I},
    ),
    *_core(("D03-K02-S01", "D03-K02-S02"), {"ATENA": _IU, "JUKI": _IU, "INKAN": _IU}),
    *_core(("D03-K02",), {"ATENA": _I, "JUKI": _I}, who="heads"),
    *_core(("D03-K03",), {"ATENA": _IU, "JUKI": _IU, "INKAN": _IU, "NENKIN": _I}),
    *_core(("D03-K04-S02",), {"ATENA": _I, "JUKI": _I}),
    *_core(
        ("D03-B01", "D03-T01", "D03-T02", "D03-T03", "B03-B01"),
        {"ATENA": _I, "JUKI": _IU, "INKAN": _IU, "SHUNO": _I},
    ),
    *_core(("D04-K01-S01",), {"ATENA": _I, "JUKI": _I}),
    *_core(("D04-K02",), {"ATENA": _I, "JUKI": _I, "KOJINZEI": _I}),
    *_core(("D04-K03-S01", "D04-K03-S02"), {"ATENA": _I, "JUKI": _I, "KOJINZEI": _I, "KAIGO": _IU}),
    *_core(("D04-K04",), {"ATENA": _I, "JUKI": _I, "KOJINZEI": _I, "NENKIN": _I}),
    *_core(
        ("D04-K05",),
        {"ATENA": _I, "JUKI": _I, "KOJINZEI": _I, "KOKUHO": _IU, "KOKI": _IU, "NENKIN": _IU},
    ),
    *_core(("D05-K01", "D05-K02"), {"ATENA": _I, "JUKI": _I, "KOJINZEI": _I}),
    *_core(("D05-K03-S01", "D08-K03", "D09-K01-S02", "D09-K02", "E01-K01"), {"ATENA": _I, "JUKI": _I}),
    *_core(("A01-S01", "D09-K03-S01"), {"ATENA": _I, "SHUNO": _I}),
    *_core(("D09-F01",), {"ATENA": _I}),
    *_core(
        tuple(f"{b}-K01-S02" for b in _BRANCH_CODES),
        {"ATENA": _I, "KOJINZEI": _IU, "KEIJIDOSHA": _IU, "KOTEISHISAN": _IU, "SHUNO": _IU},
    ),
    *_core(
        tuple(f"{b}-K02-S02" for b in _BRANCH_CODES),
        {"ATENA": _I, "JUKI": _IU, "INKAN": _IU, "NENKIN": _I, "KOKUHO": _I, "KOKI": _I},
    ),
    *_core(tuple(f"{b}-K03-S01" for b in _BRANCH_CODES), {"ATENA": _I, "JUKI": _I, "KAIGO": _I}),
    *_core(("J04-K01", "J05-K01"), {"ATENA": _I, "KOTEISHISAN": _I}),
    # Not in 別表第2: granted on Form 1 applications (A5.2), loaded as the existing file.
    *_core(("J02",), {"ATENA": _I, "JUKI": _I, "SENKYO": _IU}),
    # Intermediate server (A3.3).
    AccessRule("CHUKAN", _IU, (IT_DIVISION,)),
    AccessRule(
        "CHUKAN",
        _I,
        ("D01-K04-S01", "D04-K03-S01", "D04-K04", "D04-K05-S01", "D05-K01-S01"),
        fiscal_year=False,
    ),
    # Individual systems.
    AccessRule("ZAIMU", ("approve",), who="security_heads", fiscal_year=False),
    AccessRule("ZAIMU", ("entry",), who="one_member", fiscal_year=False),
    AccessRule("ZAIMU", ("inquiry", "approve"), ("A01",), fiscal_year=False),
    AccessRule("ZAIMU", ("admin",), ("A01-S02",), who="heads"),
    AccessRule("ZAIMU", ("inquiry",), ("D02-K02",)),
    AccessRule("JINJI", _IU, ("D01-K02-S01", "D01-K02-S02")),
    AccessRule("JINJI", _I, ("D01-K02",), who="heads"),
    AccessRule("JINJI", ("admin",), ("D01-K02-S02",), who="heads"),
    # 文書管理: each division's head and its document officer (文書取扱主任).
    AccessRule("BUNSHO", ("user",), who="security_heads"),
    AccessRule("BUNSHO", ("user",), who="one_member", fiscal_year=False),
    AccessRule("BUNSHO", ("admin",), ("D01-K01-S02",)),
    AccessRule("FUKUSHI", _IU, ("D04-K01", "D04-K02", "D04-K03", "D04-K04")),
    AccessRule("FUKUSHI", _I, tuple(f"{b}-K03-S01" for b in _BRANCH_CODES)),
    AccessRule("FUKUSHI", ("admin",), ("D04-K01-S01",), who="heads"),
    AccessRule("KENKO", _IU, ("D04-K06", *(f"{b}-K03-S02" for b in _BRANCH_CODES))),
    AccessRule("TOSHOKAN", ("circulation",), ("D10-F01",)),
    AccessRule("TOSHOKAN", ("catalog",), ("D10-F01-S01",)),
    AccessRule("TOSHOKAN", ("admin",), ("D10-F01",), who="heads"),
)

#: Holders of these systems also get terminal use on the two-factor system (A6): their terminals
#: are on the individual-number-use network.
TWO_FACTOR_FOR = ("COKAS", "CHUKAN", "FUKUSHI", "KENKO")

CONTRACTORS = (
    ContractorDef(
        name="株式会社オホーツク情報システムズ",
        kana="オホーツクジョウホウシステムズ",
        consultation="COKAS-R/ADⅡ と中間サーバーの保守業務を委託する。",
        conditions="リモート保守は閉域網経由に限り、作業の都度、情報システム課の承認を得ること。",
        personnel=(
            MaintenanceDef(
                "大野",
                "浩一",
                "オオノ",
                "コウイチ",
                (
                    MaintenanceAccountDef("COKAS", "m-ois01", (("*", ("inquiry", "admin")),)),
                    MaintenanceAccountDef("CHUKAN", "m-ois01", (("CHUKAN", ("inquiry", "update")),)),
                ),
            ),
            MaintenanceDef(
                "北村",
                "真理子",
                "キタムラ",
                "マリコ",
                (MaintenanceAccountDef("COKAS", "m-ois02", (("*", ("inquiry",)),)),),
            ),
            MaintenanceDef(
                "三上",
                "拓海",
                "ミカミ",
                "タクミ",
                (
                    MaintenanceAccountDef(
                        "COKAS",
                        "m-ois03",
                        (
                            ("COKAS-ATENA", ("inquiry", "update")),
                            ("COKAS-JUKI", ("inquiry", "update")),
                        ),
                    ),
                ),
            ),
        ),
    ),
    ContractorDef(
        name="北海道ライブラリーサービス株式会社",
        kana="ホッカイドウライブラリーサービス",
        consultation="図書館システムの運用保守業務を委託する。",
        personnel=(
            MaintenanceDef(
                "松井",
                "健二",
                "マツイ",
                "ケンジ",
                (MaintenanceAccountDef("TOSHOKAN", "m-hls01", (("TOSHOKAN", ("admin",)),)),),
            ),
            MaintenanceDef(
                "原",
                "由香",
                "ハラ",
                "ユカ",
                (MaintenanceAccountDef("TOSHOKAN", "m-hls02", (("TOSHOKAN", ("catalog",)),)),),
            ),
        ),
    ),
)

#: External (cloud) services (A13). The first is assessed and in use, its ISMAP registration
#: expiring soon (the reminder and the re-assessment it brings forward show in the demo); the
#: second is planned: its assessment and consultation are the demo's A13 journey.
EXTERNAL_SERVICES = (
    ExternalServiceDef(
        name="電子申請クラウドサービス",
        provider="株式会社北海道クラウドテクノロジー",
        organization=IT_DIVISION,
        purpose="市民からの各種申請・届出をオンラインで受け付ける（氏名・住所・連絡先を預ける）。",
        evidence=(
            EvidenceDef("ismap", "ISMAP 登録番号 C24-0123-1", issued_days=-320, expires_days=45),
            EvidenceDef("iso27017", "ISO/IEC 27017 認証 IS 987654", issued_days=-200, expires_days=895),
            EvidenceDef("soc2", "SOC 2 Type2 報告書（2025年度）", issued_days=-150),
        ),
        assessment=(
            ("information", "申請者の氏名・住所・連絡先（機密性2）。個人番号は預けない。預けてよい。"),
            (
                "foreign_law_risk",
                "国内事業者。データは国内のみで保管され、外国法の適用を受けるおそれは低い。",
            ),
            ("work_location", "東京都・大阪府のデータセンター（国内）"),
            ("governing_law", "日本法"),
            ("court", "札幌地方裁判所"),
            (
                "exit_plan",
                "契約終了時はCSV形式で全データを返還し、消去証明書を受け取る。代替は紙の申請で受け付ける。",
            ),
            ("security_design", "LGWAN-ASP経由、TLS1.2以上、保存データの暗号化、管理者の多要素認証。"),
            ("reliability", "ISMAP登録、ISO/IEC 27017認証、SOC 2報告書を確認した。"),
        ),
    ),
    ExternalServiceDef(
        name="Web会議サービス",
        provider="オホーツク・コミュニケーションズ株式会社",
        organization="D01-K02",
        purpose="庁外との打合せ（個人情報は扱わない）。",
        evidence=(EvidenceDef("iso27001", "ISO/IEC 27001 認証 JQ-4567", issued_days=-90, expires_days=1000),),
    ),
)


# --- Demo sign-ins -------------------------------------------------------------------------------

DEMO_PASSWORD = "kengen-demo-2026"  # noqa: S105 - published demo password, never used in production

DEMO_LOGINS = (
    DemoLogin("admin", "Superuser: Kengen configuration", is_superuser=True),
    DemoLogin(
        "joho-kacho",
        "Head of 情報システム課: COKAS-R/ADⅡ, two-factor and intermediate server administrator; "
        "security officer of 情報システム課",
        person=("head", IT_DIVISION),
    ),
    DemoLogin(
        "shokuin-kacho",
        "Head of 総務部職員課: security officer; administrator of 人事給与システム",
        person=("head", "D01-K02"),
    ),
    DemoLogin("shiminzei-kacho", "Head of 総務部市民税課: security officer", person=("head", "D01-K04")),
    DemoLogin(
        "toshokan-kancho",
        "Head of 中央図書館: security officer; administrator of the library system and its maintenance contract",
        person=("head", "D10-F01"),
    ),
    DemoLogin(
        "hoiku-kacho",
        "Head of 子ども未来部保育課: security officer of a division with fiscal-year appointees",
        person=("head", "D05-K02"),
    ),
    DemoLogin(
        "kansa",
        "Staff of 監査委員事務局 designated auditor (read-only, everything)",
        person=("member", "J03-S01"),
        designated_role="auditor",
    ),
    DemoLogin(
        "jinji",
        "Staff of 総務部職員課人事係 designated personnel records officer (人事担当): records hires, "
        "transfers, renewals and retirements",
        person=("member", "D01-K02-S01"),
        designated_role="personnel",
    ),
    DemoLogin("shokuin", "Staff of 総務部市民税課市民税係, no role", person=("member", "D01-K04-S01")),
)


# --- Names for synthetic staff (kanji, katakana) -------------------------------------------------


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``"佐藤 サトウ  鈴木 スズキ"`` -> ``(("佐藤", "サトウ"), ("鈴木", "スズキ"))``."""
    words = text.split()
    return tuple(zip(words[::2], words[1::2], strict=True))


FAMILY_NAMES = _pairs(
    """
    佐藤 サトウ  鈴木 スズキ  高橋 タカハシ  田中 タナカ  伊藤 イトウ
    渡辺 ワタナベ  山本 ヤマモト  中村 ナカムラ  小林 コバヤシ  加藤 カトウ
    吉田 ヨシダ  山田 ヤマダ  佐々木 ササキ  山口 ヤマグチ  松本 マツモト
    井上 イノウエ  木村 キムラ  林 ハヤシ  斎藤 サイトウ  清水 シミズ
    山崎 ヤマザキ  森 モリ  池田 イケダ  橋本 ハシモト  阿部 アベ
    石川 イシカワ  山下 ヤマシタ  中島 ナカジマ  小川 オガワ  前田 マエダ
    岡田 オカダ  長谷川 ハセガワ  藤田 フジタ  後藤 ゴトウ  近藤 コンドウ
    村上 ムラカミ  遠藤 エンドウ  青木 アオキ  坂本 サカモト  斉藤 サイトウ
    福田 フクダ  太田 オオタ  西村 ニシムラ  藤井 フジイ  金子 カネコ
    岡本 オカモト  藤原 フジワラ  中野 ナカノ  三浦 ミウラ  原田 ハラダ
    工藤 クドウ  菅原 スガワラ  千葉 チバ  成田 ナリタ  今井 イマイ
    高田 タカダ  小野 オノ  武田 タケダ  桜井 サクライ  大橋 オオハシ
    髙橋 タカハシ  髙木 タカギ  山﨑 ヤマザキ  宮﨑 ミヤザキ  岩﨑 イワサキ
    """
)

GIVEN_NAMES = _pairs(
    """
    大輔 ダイスケ  拓也 タクヤ  健太 ケンタ  翔太 ショウタ  和也 カズヤ
    誠 マコト  浩 ヒロシ  隆 タカシ  直樹 ナオキ  達也 タツヤ
    亮 リョウ  剛 ツヨシ  聡 サトシ  修 オサム  学 マナブ
    一郎 イチロウ  健一 ケンイチ  雅之 マサユキ  博之 ヒロユキ  康弘 ヤスヒロ
    裕太 ユウタ  悠斗 ユウト  蓮 レン  陽介 ヨウスケ  慎也 シンヤ
    陽子 ヨウコ  恵子 ケイコ  真由美 マユミ  美香 ミカ  裕子 ユウコ
    智子 トモコ  明美 アケミ  由美子 ユミコ  麻衣 マイ  彩 アヤ
    愛 アイ  さくら サクラ  美咲 ミサキ  千尋 チヒロ  優子 ユウコ
    奈々 ナナ  香織 カオリ  直美 ナオミ  久美子 クミコ  理恵 リエ
    沙織 サオリ  結衣 ユイ  遥 ハルカ  瑞穂 ミズホ  純一 ジュンイチ
    """
)


PROFILE = Profile(
    name="kitami",
    title="北見市",
    effective=EFFECTIVE,
    source=SOURCE,
    city=CITY,
    posts=POSTS,
    head_posts=HEAD_POSTS,
    core=CORE,
    business_systems=BUSINESS_SYSTEMS,
    systems=SYSTEMS,
    table2=TABLE2,
    demo_password=DEMO_PASSWORD,
    demo_logins=DEMO_LOGINS,
    access=ACCESS,
    two_factor_for=TWO_FACTOR_FOR,
    contractors=CONTRACTORS,
    external_services=EXTERNAL_SERVICES,
    family_names=FAMILY_NAMES,
    given_names=GIVEN_NAMES,
)
