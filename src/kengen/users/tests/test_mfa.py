"""Second factor for Kengen's own sign-in: who must use one, enrolment, TOTP, recovery codes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from kengen.audit.choices import AuditAction
from kengen.audit.models import AuditEvent
from kengen.core.exceptions import RuleViolation
from kengen.roles.choices import Role
from kengen.roles.services import role_designate
from kengen.testing import START, TEST_PASSWORD, login, totp_code, totp_device_for, user_for
from kengen.users.choices import SecondFactorState
from kengen.users.models import RecoveryCode, RecoveryCodeDevice, UserSession
from kengen.users.selectors import mfa_required, second_factor_state
from kengen.users.services import (
    recovery_codes_issue,
    second_factor_device_remove,
    second_factor_verify,
    totp_device_confirm,
    totp_device_start,
)

pytestmark = pytest.mark.django_db


def sign_in(client, username: str, password: str = TEST_PASSWORD):
    return client.post(reverse("users:login"), {"username": username, "password": password})


def audit_text() -> str:
    return json.dumps(list(AuditEvent.objects.values()), default=str, ensure_ascii=False)


# --- who must use a second factor ----------------------------------------------------------------


def test_security_officers_administrators_auditors_and_superusers_must_use_a_second_factor(world):
    world.system("JINJI", "人事給与", owner=world.joho)
    auditor = user_for(None, username="kansa")
    role_designate(actor=None, user=auditor, role=Role.AUDITOR, valid_from=START)

    assert mfa_required(world.users["shokuin_head"])  # security officer of 職員課
    assert mfa_required(world.users["joho_head"])  # administrator of the 人事給与 system
    assert mfa_required(auditor)
    assert mfa_required(user_for(None, username="root", is_superuser=True))
    assert not mfa_required(world.users["jinji_clerk"])  # no role: own record only


def test_an_officer_signing_in_without_a_second_factor_must_set_one_up_before_anything_else(world, client):
    response = sign_in(client, "shokuin-head")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:security"))
    for url in (reverse("dashboard:home"), reverse("people:list"), reverse("users:tokens")):
        page = client.get(url)
        assert page.status_code == 302 and page["Location"].startswith(reverse("users:security")), url
    assert client.get(reverse("users:security")).status_code == 200
    # and the browser session cannot read the API meanwhile
    assert client.get("/api/v1/me").status_code == 401


def test_a_clerk_without_a_second_factor_is_not_asked_for_one(world, client):
    response = sign_in(client, "jinji-clerk")

    assert response["Location"] == reverse("dashboard:home")
    assert second_factor_state(world.users["jinji_clerk"]) == SecondFactorState.DONE


# --- TOTP ------------------------------------------------------------------------------------------


def test_enrolling_an_authenticator_app_shows_a_qr_code_made_here_and_the_key_in_text(world, client):
    sign_in(client, "shokuin-head")

    page = client.get(reverse("users:mfa_totp"))

    body = page.content.decode()
    device = TOTPDevice.objects.get(user=world.users["shokuin_head"])
    assert not device.confirmed
    assert "<svg" in body and "<path" in body  # inline SVG, no external QR service
    assert "http" not in body.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org", "")
    secret = page.context["secret"].replace(" ", "")
    assert len(secret) == 32 and secret in body.replace(" ", "")
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    # reloading keeps the same key, so a half-done scan still works
    assert client.get(reverse("users:mfa_totp")).context["device"].pk == device.pk


def test_a_wrong_code_does_not_confirm_the_app_and_the_right_one_does_and_shows_recovery_codes_once(
    world, client
):
    user = world.users["shokuin_head"]
    sign_in(client, "shokuin-head")
    client.get(reverse("users:mfa_totp"))
    device = TOTPDevice.objects.get(user=user)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        refused = client.post(reverse("users:mfa_totp"), {"device": device.pk, "code": wrong})
        assert refused.status_code == 200
        assert refused.context["form"].errors
        device.refresh_from_db()
        assert not device.confirmed
        traveller.shift(dt.timedelta(seconds=2))  # django-otp's throttle: 1 s after one failure
        done = client.post(reverse("users:mfa_totp"), {"device": device.pk, "code": totp_code(device)})

    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEvent.objects.filter(action=AuditAction.MFA_DEVICE_ADDED, target_id=str(user.pk)).exists()
    assert AuditEvent.objects.filter(action=AuditAction.MFA_RECOVERY_CODES_ISSUED).get().new == {"count": 10}
    # the session has passed the second factor: on to the A9 acknowledgement, not back to enrolment
    assert client.get(reverse("dashboard:home"))["Location"].startswith(
        reverse("acknowledgements:acknowledge")
    )
    # the key and the codes are nowhere in the audit log, and the codes are stored only as digests
    assert device.key not in audit_text()
    stored = json.dumps(list(RecoveryCode.objects.values()), default=str)
    assert all(code not in stored and code.replace("-", "") not in stored for code in codes)
    assert all(code not in audit_text() for code in codes)


def test_next_sign_in_asks_for_the_code_and_a_wrong_one_is_refused_and_audited(world, client):
    user = world.users["shokuin_head"]
    device = totp_device_for(user)
    login(client, user)  # acknowledges A9 once
    client.post(reverse("users:logout"))

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2), tick=False):
        response = sign_in(client, "shokuin-head")
        assert response["Location"].startswith(reverse("users:mfa_verify"))
        assert client.get(reverse("dashboard:home"))["Location"].startswith(reverse("users:mfa_verify"))
        wrong = f"{(int(totp_code(device)) + 500_000) % 1_000_000:06d}"
        refused = client.post(reverse("users:mfa_verify"), {"code": wrong})
        assert refused.status_code == 200 and refused.context["form"].errors
        assert AuditEvent.objects.filter(action=AuditAction.MFA_FAILED, actor=user).exists()
        assert client.get(reverse("dashboard:home")).status_code == 302

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3), tick=False):
        passed = client.post(reverse("users:mfa_verify"), {"code": totp_code(device), "next": "/people/"})
        assert passed.status_code == 302 and passed["Location"] == "/people/"
        assert client.get(reverse("dashboard:home")).status_code == 200
    assert (
        AuditEvent.objects.filter(action=AuditAction.MFA_VERIFIED, actor=user).get().new["device_type"]
        == "totp"
    )


def test_a_totp_code_cannot_be_used_twice(world):
    user = world.users["shokuin_head"]
    with time_machine.travel(timezone.now(), tick=False):
        device = totp_device_for(user)
        code = totp_code(device, offset=1)
        assert second_factor_verify(user=user, code=code).ok
        assert not second_factor_verify(user=user, code=code).ok  # replayed within its window


def test_repeated_wrong_codes_are_throttled_with_growing_delays(world):
    user = world.users["shokuin_head"]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        device = totp_device_for(user)
        traveller.shift(dt.timedelta(minutes=1))

        def wrong() -> str:
            return f"{(int(totp_code(device)) + 500_000) % 1_000_000:06d}"

        for _ in range(4):  # django-otp then wants 1, 2, 4, 8 s between attempts
            assert not second_factor_verify(user=user, code=wrong()).ok
            traveller.shift(dt.timedelta(seconds=10))
        assert not second_factor_verify(user=user, code=wrong()).ok  # 5th: now 16 s
        outcome = second_factor_verify(user=user, code=totp_code(device))
        assert not outcome.ok and outcome.wait_seconds == 16  # even the right code waits
        traveller.shift(dt.timedelta(seconds=17))
        assert second_factor_verify(user=user, code=totp_code(device)).ok


# --- recovery codes --------------------------------------------------------------------------------


def test_a_recovery_code_works_once(world, client):
    user = world.users["shokuin_head"]
    totp_device_for(user)
    codes = recovery_codes_issue(user=user)
    login(client, user)
    client.post(reverse("users:logout"))

    sign_in(client, "shokuin-head")
    used = client.post(reverse("users:mfa_verify"), {"code": codes[0].upper().replace("-", " ")})
    assert used.status_code == 302
    assert client.get(reverse("dashboard:home")).status_code == 200
    event = AuditEvent.objects.filter(action=AuditAction.MFA_VERIFIED, actor=user).latest("seq")
    assert event.new["device_type"] == "recovery_code"
    client.post(reverse("users:logout"))

    sign_in(client, "shokuin-head")
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        again = client.post(reverse("users:mfa_verify"), {"code": codes[0]})
    assert again.status_code == 200 and again.context["form"].errors
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=10)):
        other = client.post(reverse("users:mfa_verify"), {"code": codes[1]})
    assert other.status_code == 302
    assert RecoveryCodeDevice.objects.get(user=user).remaining == 8


def test_new_recovery_codes_replace_the_old_ones(world):
    user = world.users["shokuin_head"]
    totp_device_for(user)
    old = recovery_codes_issue(user=user)
    new = recovery_codes_issue(user=user)

    assert not second_factor_verify(user=user, code=old[0]).ok
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=5)):
        assert second_factor_verify(user=user, code=new[0]).ok


# --- managing factors ------------------------------------------------------------------------------


def test_an_officer_cannot_remove_their_last_second_factor(world):
    user = world.users["shokuin_head"]
    device = totp_device_for(user)

    with pytest.raises(RuleViolation):
        second_factor_device_remove(user=user, kind="totp", device_id=device.pk)

    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_clerk_who_chose_a_second_factor_is_asked_for_it_and_may_remove_it(world, client):
    clerk = world.users["jinji_clerk"]
    device = totp_device_for(clerk)
    recovery_codes_issue(user=clerk)

    assert sign_in(client, "jinji-clerk")["Location"].startswith(reverse("users:mfa_verify"))

    second_factor_device_remove(user=clerk, kind="totp", device_id=device.pk)
    assert not RecoveryCodeDevice.objects.filter(user=clerk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.MFA_DEVICE_REMOVED, actor=clerk).exists()


def test_an_unconfirmed_app_does_not_count_and_cannot_be_confirmed_by_someone_else(world):
    officer = world.users["shokuin_head"]
    pending = totp_device_start(user=officer)

    assert second_factor_state_for(officer) == SecondFactorState.ENROL
    from kengen.core.exceptions import NotFound

    with pytest.raises(NotFound):
        totp_device_confirm(user=world.users["jinji_clerk"], device_id=pending.pk, code=totp_code(pending))


def second_factor_state_for(user):
    user.is_verified = lambda: False
    return second_factor_state(user)


def test_resetting_a_lost_second_factor_removes_everything_and_ends_the_sessions(world, client):
    user = world.users["shokuin_head"]
    login(client, user)
    recovery_codes_issue(user=user)
    assert client.get(reverse("dashboard:home")).status_code == 200

    call_command("mfa_reset", "shokuin-head")

    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not RecoveryCodeDevice.objects.filter(user=user).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert client.get(reverse("dashboard:home"))["Location"].startswith(reverse("users:login"))
    assert AuditEvent.objects.filter(action=AuditAction.MFA_RESET, target_id=str(user.pk)).exists()
    assert sign_in(client, "shokuin-head")["Location"].startswith(reverse("users:security"))


def test_security_page_lists_factors_and_sessions(world, client):
    user = world.users["shokuin_head"]
    login(client, user)
    recovery_codes_issue(user=user)

    page = client.get(reverse("users:security"))

    assert page.status_code == 200
    assert len(page.context["devices"]["totp"]) == 1
    assert page.context["recovery_remaining"] == 10
    assert [s.session_key for s in page.context["sessions"]] == [client.session.session_key]
