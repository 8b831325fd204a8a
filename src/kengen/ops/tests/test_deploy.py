"""The deployment files in deploy/: valid systemd units that run real Kengen commands, an
environment file whose variables are documented, proxies that send what Kengen trusts."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands

from kengen.cli import ALIASES
from kengen.ops.tests.test_config_table import REPO, documented_variables

DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
INSTALLED_KENGEN = "/opt/kengen/.venv/bin/kengen"


def _exec_lines(unit: Path) -> list[str]:
    return re.findall(r"^Exec(?:Start|StartPre|StartPost)=(.+)$", unit.read_text(), flags=re.MULTILINE)


def test_every_unit_runs_an_existing_kengen_command():
    commands = set(get_commands())
    seen = []
    for unit in UNITS:
        for line in _exec_lines(unit):
            if not line.startswith(INSTALLED_KENGEN):
                continue
            args = line.split()[1:]
            seen.append(args[0])
            if args[:2] == ["serve", "--production"]:
                continue
            assert ALIASES.get(args[0], args[0]) in commands, f"{unit.name}: {line}"
    assert sorted(seen) == ["backup", "run-due", "serve"]


def test_every_service_reads_the_documented_environment_file():
    for unit in UNITS:
        if unit.suffix == ".service":
            assert "EnvironmentFile=/etc/kengen/kengen.env" in unit.read_text(), unit.name


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    kengen = str(Path(sys.executable).with_name("kengen"))
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED_KENGEN, kengen))
    result = subprocess.run(
        [
            shutil.which("systemd-analyze") or "systemd-analyze",
            "verify",
            *sorted(str(p) for p in tmp_path.iterdir()),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Unknown" not in result.stderr, result.stderr


def test_the_example_environment_file_uses_only_documented_variables():
    names = re.findall(
        r"^([A-Z][A-Z0-9_]+)=", (DEPLOY / "kengen.env.example").read_text(), flags=re.MULTILINE
    )
    assert names
    assert set(names) <= documented_variables()


@pytest.mark.parametrize("config", ["nginx/kengen.conf", "apache/kengen.conf"])
def test_the_proxy_examples_pass_the_scheme_and_log_no_query_string(config):
    text = (DEPLOY / config).read_text()
    assert "X-Forwarded-Proto" in text
    assert "127.0.0.1:8000" in text
    assert "$request " not in text and "%r" not in text  # both would log the query string
