"""Building test state through the real services (never ``objects.create``).

``World`` gives a small municipality: a city, a department with two security-unit divisions
(each with a section), a head post and staff posts, and helpers to add people, users and systems.
Used by the tests of every app.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kengen.core.dates import fiscal_year_end
from kengen.organizations.models import Organization, Post
from kengen.organizations.services import OrganizationSpec, organization_create
from kengen.people.choices import EmploymentType
from kengen.people.models import Person
from kengen.people.services import appointment_start, assignment_start, person_create
from kengen.systems.choices import SystemKind
from kengen.systems.models import System
from kengen.systems.services import system_create
from kengen.users.models import User
from kengen.users.services import user_create

START = dt.date(2024, 4, 1)
TEST_PASSWORD = "correct horse battery staple 42"  # noqa: S105 - test fixture
_seq = itertools.count(1)


def post(code: str, name: str, *, is_head: bool = False, rank: int = 100) -> Post:
    found = Post.objects.filter(code=code).first()
    return found or Post.objects.create(code=code, name=name, is_head=is_head, rank=rank)


def org(
    code: str,
    name: str,
    kind: str,
    parent: Organization | None = None,
    *,
    security: bool = False,
    valid_from: dt.date = START,
) -> Organization:
    return organization_create(
        actor=None,
        spec=OrganizationSpec(code=code, name=name, kind=kind, parent=parent, is_security_unit=security),
        valid_from=valid_from,
    )


def staff(
    unit: Organization,
    *,
    post_: Post | None = None,
    employment_type: str = EmploymentType.REGULAR,
    valid_from: dt.date = START,
    appointment_to: dt.date | None = None,
    family: str = "山田",
    given: str | None = None,
) -> Person:
    n = next(_seq)
    person = person_create(
        actor=None,
        family_name=family,
        given_name=given or f"太郎{n}",
        family_name_kana="ヤマダ",
        given_name_kana=f"タロウ{n}",
        staff_number=f"T{n:06d}",
    )
    if employment_type in EmploymentType.fixed_term() and appointment_to is None:
        appointment_to = fiscal_year_end(valid_from)
    appointment_start(
        actor=None,
        person=person,
        employment_type=employment_type,
        valid_from=valid_from,
        valid_to=appointment_to,
    )
    assignment_start(
        actor=None,
        person=person,
        organization=unit,
        post=post_ or post("shuji", "主事"),
        valid_from=valid_from,
    )
    return person


def user_for(person: Person | None, username: str | None = None, **kwargs) -> User:
    return user_create(
        actor=None, username=username or f"user{next(_seq)}", password=TEST_PASSWORD, person=person, **kwargs
    )


@dataclass
class World:
    """A city with 総務部 > 職員課 (> 人事係) and 総務部 > 市民税課 (> 課税係), and 企画財政部 > 情報システム課."""

    city: Organization
    somu: Organization
    shokuin: Organization
    jinji: Organization
    shiminzei: Organization
    kazei: Organization
    kikaku: Organization
    joho: Organization
    head: Post
    section_head: Post
    clerk: Post
    people: dict[str, Person] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def system(
        self,
        code: str,
        name: str,
        kind: str = SystemKind.INDIVIDUAL,
        owner: Organization | None = None,
        permissions=(("inquiry", "照会"), ("update", "更新")),
        parent: System | None = None,
    ) -> System:
        return system_create(
            actor=None,
            code=code,
            name=name,
            kind=kind,
            owner=owner or self.shokuin,
            valid_from=START,
            parent=parent,
            permissions=permissions if kind != SystemKind.CORE else (),
        )

    def core(self) -> tuple[System, System]:
        """COKAS-R/ADⅡ and one business system (個人住民税) of it."""
        core = self.system("COKAS", "COKAS-R/ADⅡ", SystemKind.CORE, owner=self.joho)
        tax = self.system(
            "CK-TAX",
            "個人住民税",
            SystemKind.CORE_BUSINESS,
            owner=self.joho,
            parent=core,
            permissions=(("inquiry", "照会"), ("update", "更新"), ("admin", "管理")),
        )
        return core, tax


def build_world() -> World:
    city = org("CITY", "北見市", "city")
    somu = org("SOMU", "総務部", "department", city)
    shokuin = org("SHOKUIN", "職員課", "division", somu, security=True)
    jinji = org("JINJI", "人事係", "section", shokuin)
    shiminzei = org("SHIMINZEI", "市民税課", "division", somu, security=True)
    kazei = org("KAZEI", "課税係", "section", shiminzei)
    kikaku = org("KIKAKU", "企画財政部", "department", city)
    joho = org("JOHO", "情報システム課", "division", kikaku, security=True)
    w = World(
        city=city,
        somu=somu,
        shokuin=shokuin,
        jinji=jinji,
        shiminzei=shiminzei,
        kazei=kazei,
        kikaku=kikaku,
        joho=joho,
        head=post("kacho", "課長", is_head=True, rank=30),
        section_head=post("kakaricho", "係長", is_head=True, rank=50),
        clerk=post("shuji", "主事"),
    )
    w.people["shokuin_head"] = staff(shokuin, post_=w.head, family="佐藤", given="一郎")
    w.people["shiminzei_head"] = staff(shiminzei, post_=w.head, family="鈴木", given="二郎")
    w.people["joho_head"] = staff(joho, post_=w.head, family="高橋", given="三郎")
    w.people["jinji_clerk"] = staff(jinji, family="田中", given="花子")
    w.people["kazei_clerk"] = staff(kazei, family="伊藤", given="次郎")
    for key in ("shokuin_head", "shiminzei_head", "joho_head", "jinji_clerk", "kazei_clerk"):
        w.users[key] = user_for(w.people[key], username=key.replace("_", "-"))
    return w


def maintenance_contract(
    person: Person,
    systems: list[System],
    *,
    organization: Organization,
    officer: User,
    it_head: User,
    valid_from: dt.date = START,
    valid_to: dt.date | None = None,
) -> Any:
    """An active maintenance contract of ``person``'s contractor covering ``systems``, with
    ``person`` on its staff (A5.9: maintenance staff belong to a contract), built through the real
    services: registered by ``officer`` (the security officer of ``organization``), consulted with
    ``it_head`` (the IT division head, who answers it, A12.2) and activated. Ends a year after
    today unless ``valid_to`` says otherwise. Returns the ``outsourcing.Contract``."""
    from django.utils import timezone

    from kengen.outsourcing import services as out

    assert person.contractor is not None
    contract = out.contract_create(
        actor=officer,
        contractor=person.contractor,
        title=f"{person.contractor.name} 保守業務委託",
        work="maintenance",
        systems=systems,
        organization=organization,
        valid_from=valid_from,
        valid_to=valid_to or timezone.localdate() + dt.timedelta(days=366),
    )
    consultation = out.consultation_create(actor=officer, contract=contract, reason="保守業務の委託")
    out.consultation_submit(actor=officer, application=consultation)
    out.consultation_complete(actor=it_head, application=consultation, answer="agree")
    contract = out.contract_activate(actor=officer, contract=contract)
    out.contract_staff_add(actor=officer, contract=contract, person=person)
    return contract


def login(client, user: User) -> User:
    """Sign ``user`` in on a test client as a finished sign-in, through the real services: the A9
    duties acknowledged (if due) and, when the user must use one, a second factor set up (an
    authenticator app confirmed with a code computed from its key) and passed in this session.

    Only the typing is skipped: the session is marked exactly as ``django_otp.login`` marks it, and
    every middleware still checks it on every request (tests of the sign-in steps themselves use
    ``client.force_login`` or the sign-in pages).
    """
    from django_otp import DEVICE_ID_SESSION_KEY

    from kengen.acknowledgements import texts
    from kengen.acknowledgements.selectors import acknowledgement_due
    from kengen.acknowledgements.services import acknowledgement_record
    from kengen.users.selectors import has_primary_device, mfa_required

    if acknowledgement_due(user=user):
        acknowledgement_record(user=user, text_version=texts.CURRENT_VERSION)
    device = None
    if mfa_required(user) or has_primary_device(user):
        device = totp_device_for(user)
    client.force_login(user)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return user


def totp_code(device, *, offset: int = 0) -> str:
    """The code an authenticator app with ``device``'s key shows now (``offset`` time steps on)."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():0{device.digits}d}"


def totp_device_for(user: User):
    """The user's confirmed authenticator app, set up through the services if they have none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from kengen.users.services import totp_device_confirm, totp_device_start

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        pending = totp_device_start(user=user)
        outcome = totp_device_confirm(user=user, device_id=pending.pk, code=totp_code(pending))
        assert outcome.ok, "could not confirm a test authenticator app"
        device = outcome.device
    return device


# --- Browser tests (Debian's Chromium driven by Playwright; never ``playwright install``) ---------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium_page(base_url: str, *, init_script: str | None = None) -> Iterator[Any]:
    """A Japanese-locale page of Debian's Chromium on ``base_url`` (the live server), closed after."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="ja-JP", base_url=base_url)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            yield page
        except BaseException:
            _save_failure_screenshot(page)
            raise
        finally:
            context.close()
            browser.close()
            # The test's ORM calls inside Playwright's sync API run in another context (greenlet)
            # than pytest-django's, so they open their own connection: close it here, or
            # PostgreSQL refuses to drop the test database at the end ("accessed by other users").
            from django.db import connections

            connections.close_all()


REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPO_ROOT / "test-artifacts" / "screenshots"
AXE_JS = REPO_ROOT / "vendor" / "axe-core" / "axe.min.js"


# Set by pytest itself while a test runs (not Kengen configuration, so not in docs/operations.md).
_PYTEST_CURRENT_TEST = "PYTEST_CURRENT_TEST"


def _save_failure_screenshot(page: Any) -> None:
    """Keep what the browser showed when a browser test failed (CI keeps ``test-artifacts/``)."""
    test = os.environ.get(_PYTEST_CURRENT_TEST, "browser-test").split(" ")[0]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in test)[-150:]
    try:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)
    except Exception:  # noqa: S110 - a failed screenshot must not hide the test's own failure
        pass


def axe_violations(page: Any, *, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Run the vendored axe-core on the current page; the violations of the given impacts.

    Each entry reads ``rule-id (impact): help — selector, selector``, so a failing assertion says
    what to fix and where.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol: the page's Content-Security-Policy (no inline
        # scripts) stays exactly as users get it.
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation.get("impact") in impacts:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    return found


def browser_sign_in(page: Any, base_url: str, user: User) -> None:
    """Sign ``user`` in on the browser as a finished sign-in (second factor passed, A9 done),
    through ``login`` on a test client whose session cookie the browser then carries."""
    from django.test import Client

    client = Client()
    login(client, user)
    page.set_default_timeout(60_000)  # a loaded CI machine: waiting longer is not a different result
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
    )


def answer_dialogs(page: Any, answers: list[bool], asked: list[str]) -> None:
    """Answer the page's confirmation dialogs (``confirm.js``) in turn with ``answers`` (accept
    once they run out), keeping each question asked in ``asked``."""

    def on_dialog(dialog: Any) -> None:
        asked.append(dialog.message)
        (dialog.accept if (answers.pop(0) if answers else True) else dialog.dismiss)()

    page.on("dialog", on_dialog)


def totp_from_secret(secret: str) -> str:
    """The code an authenticator app shows now for the base32 secret a setup page displays."""
    from django_otp.oath import totp

    compact = secret.replace(" ", "").upper()
    key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    return f"{totp(key):06d}"
