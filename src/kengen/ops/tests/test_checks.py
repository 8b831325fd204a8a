"""Production refuses an insecure configuration, naming the variable to set."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from kengen.ops.checks import deployment_errors, kengen_deploy_checks
from kengen.ops.tests.conftest import clean_env

SECURE = {
    "KENGEN_SECRET_KEY_SOURCE": "file",
    "DEBUG": False,
    "ALLOWED_HOSTS": ["kengen.city.example.lg.jp"],
    "KENGEN_ALLOWED_HOSTS_SET": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "KENGEN_SECURE_COOKIES_OPT_OUT": False,
    "KENGEN_BASE_URL_SET": True,
}


@pytest.fixture
def secure(settings):
    for name, value in SECURE.items():
        setattr(settings, name, value)
    return settings


def ids() -> list[str]:
    return [e.id for e in kengen_deploy_checks()]


def test_a_secure_configuration_passes(secure):
    assert ids() == []
    assert deployment_errors() == []


@pytest.mark.parametrize(
    ("change", "expected_id", "variable"),
    [
        ({"KENGEN_SECRET_KEY_SOURCE": "generated"}, "kengen.E001", "KENGEN_SECRET_KEY"),
        ({"DEBUG": True}, "kengen.E002", "KENGEN_DEBUG"),
        (
            {"KENGEN_ALLOWED_HOSTS_SET": False, "ALLOWED_HOSTS": ["127.0.0.1"]},
            "kengen.E003",
            "KENGEN_ALLOWED_HOSTS",
        ),
        ({"ALLOWED_HOSTS": ["*"]}, "kengen.E003", "KENGEN_ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": []}, "kengen.E003", "KENGEN_ALLOWED_HOSTS"),
        (
            {"SESSION_COOKIE_SECURE": False, "CSRF_COOKIE_SECURE": False},
            "kengen.E004",
            "KENGEN_SECURE_COOKIES",
        ),
    ],
)
def test_each_insecure_setting_is_an_error_naming_its_variable(secure, change, expected_id, variable):
    for name, value in change.items():
        setattr(secure, name, value)
    errors = deployment_errors()
    assert [e.id for e in errors] == [expected_id]
    assert variable in errors[0].msg


def test_explicitly_insecure_cookies_are_only_a_warning(secure):
    secure.SESSION_COOKIE_SECURE = secure.CSRF_COOKIE_SECURE = False
    secure.KENGEN_SECURE_COOKIES_OPT_OUT = True
    assert ids() == ["kengen.W004"]
    assert deployment_errors() == []


def test_a_missing_base_url_is_a_warning(secure):
    secure.KENGEN_BASE_URL_SET = False
    assert ids() == ["kengen.W005"]
    assert deployment_errors() == []


def test_check_deploy_fails_on_kengen_errors(secure):
    secure.DEBUG = True
    with pytest.raises(SystemCheckError, match=r"kengen\.E002"):
        call_command("check", deploy=True)


def test_check_deploy_passes_a_secure_configuration(secure, monkeypatch):
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)  # set by the browser tests' harness
    call_command("check", deploy=True)  # Django's own deploy warnings do not fail it


def test_kengen_check_deploy_exits_non_zero_for_the_default_configuration(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kengen.cli", "check", "--deploy"],
        env=clean_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "kengen.E001" in result.stderr
    assert "KENGEN_ALLOWED_HOSTS" in result.stderr


def test_serve_production_refuses_to_start_and_names_the_variables(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "kengen.cli", "serve", "--production", "127.0.0.1:9"],
        env=clean_env(tmp_path, KENGEN_DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "refusing to serve with an insecure configuration" in result.stderr
    for variable in ("KENGEN_SECRET_KEY", "KENGEN_DEBUG", "KENGEN_ALLOWED_HOSTS", "KENGEN_SECURE_COOKIES"):
        assert variable in result.stderr


def test_the_secret_key_can_come_from_a_file(settings_under, tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text("k" * 60 + "\n")
    values = settings_under(["KENGEN_SECRET_KEY_SOURCE"], KENGEN_SECRET_KEY_FILE=str(key_file))
    assert values == {"KENGEN_SECRET_KEY_SOURCE": "file"}


def test_an_unreadable_secret_key_file_is_refused_with_its_name(settings_under, tmp_path):
    values = settings_under(["SECRET_KEY"], KENGEN_SECRET_KEY_FILE=str(tmp_path / "missing"))
    assert values["error"].startswith("ImproperlyConfigured: KENGEN_SECRET_KEY_FILE: cannot read")
