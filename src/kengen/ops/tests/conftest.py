"""Helpers for the operations tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[3]


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment without any KENGEN_* / DATABASE_URL of the caller, on a private data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENGEN_") and k != "DATABASE_URL"}
    env["KENGEN_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONPATH"] = str(SRC)
    env["DJANGO_SETTINGS_MODULE"] = "kengen.settings"
    env.update(extra)
    return env


@pytest.fixture
def settings_under(tmp_path):
    """Load Kengen's settings in a fresh interpreter under the given environment; return the named
    settings (JSON-able) or the error message the import raised."""

    def load(names: list[str], **env: str) -> dict:
        code = (
            "import json, django\n"
            "from django.conf import settings\n"
            "try:\n"
            "    django.setup()\n"
            f"    print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}, default=str))\n"
            "except Exception as exc:\n"
            "    print(json.dumps({'error': f'{type(exc).__name__}: {exc}'}))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=clean_env(tmp_path, **env),
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    return load
