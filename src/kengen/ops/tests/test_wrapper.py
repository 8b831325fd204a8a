"""bin/kengen: the README's commands work right after `make demo` / `make env`, with uv on the
PATH or only in .tools/bin where `make` installed it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from kengen.ops.tests.test_config_table import REPO

WRAPPER = REPO / "bin" / "kengen"


def test_the_wrapper_runs_kengen_with_the_uv_on_the_path():
    if shutil.which("uv") is None:
        pytest.skip("uv is not on the PATH here (the .tools/bin case is tested below)")
    result = subprocess.run([str(WRAPPER), "help"], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    assert "kengen serve --production" in result.stdout


def _fake_checkout(tmp_path, *, with_tools_uv: bool):
    root = tmp_path / "checkout"
    (root / "bin").mkdir(parents=True)
    shutil.copy2(WRAPPER, root / "bin" / "kengen")
    if with_tools_uv:
        (root / ".tools" / "bin").mkdir(parents=True)
        fake = root / ".tools" / "bin" / "uv"
        fake.write_text('#!/bin/sh\necho "uv $* data=$KENGEN_DATA_DIR"\n')
        fake.chmod(0o755)
    return root


def _path_without_uv() -> str:
    keep = [
        d for d in os.environ["PATH"].split(os.pathsep) if d and not (os.path.isfile(os.path.join(d, "uv")))
    ]
    return os.pathsep.join(keep)


def test_without_uv_on_the_path_the_wrapper_uses_the_one_make_installed(tmp_path):
    root = _fake_checkout(tmp_path, with_tools_uv=True)
    env = {k: v for k, v in os.environ.items() if k != "KENGEN_DATA_DIR"}
    env["PATH"] = _path_without_uv()
    result = subprocess.run(
        [str(root / "bin" / "kengen"), "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"uv run --project {root} --frozen --quiet kengen audit verify data={root / 'var'}"
    )


def test_without_any_uv_the_wrapper_says_to_run_make_env(tmp_path):
    root = _fake_checkout(tmp_path, with_tools_uv=False)
    env = {**os.environ, "PATH": _path_without_uv()}
    result = subprocess.run(
        [str(root / "bin" / "kengen"), "help"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 127
    assert "run 'make env' first" in result.stderr
