"""Every environment variable the code reads is in the table of docs/operations.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]  # src/kengen
REPO = SRC.parents[1]
OPERATIONS = REPO / "docs" / "operations.md"
#: Read by Python, Django or the test harness, not configuration of Kengen.
NOT_CONFIGURATION = {"DJANGO_SETTINGS_MODULE", "DJANGO_SUPERUSER_PASSWORD", "PYTHONPATH"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def variables_read(tree: ast.AST) -> set[str]:
    """Names passed to os.environ.get / os.environ[...] / os.getenv / "X" in os.environ and to the
    settings' helpers (_env_bool, _env_int, _env_list …)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        name_node = None
        if isinstance(node, ast.Call) and node.args:
            func = _dotted(node.func)
            if func.endswith(("environ.get", "getenv", "environ.pop")) or re.search(
                r"(^|\.)_?env_\w+$", func
            ):
                name_node = node.args[0]
        elif isinstance(node, ast.Subscript) and _dotted(node.value).endswith("environ"):
            name_node = node.slice
        elif isinstance(node, ast.Compare) and any(_dotted(c).endswith("environ") for c in node.comparators):
            name_node = node.left
        if isinstance(name_node, ast.Constant) and isinstance(name_node.value, str):
            found.add(name_node.value)
    return found


def code_variables() -> dict[str, set[str]]:
    where: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for name in variables_read(ast.parse(path.read_text(), filename=str(path))):
            if name not in NOT_CONFIGURATION:
                where.setdefault(name, set()).add(str(path.relative_to(SRC)))
    return where


def documented_variables() -> set[str]:
    text = OPERATIONS.read_text()
    section = text.split("## Configuration variables", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]+)`", section, flags=re.MULTILINE))


def test_the_scanner_sees_each_way_of_reading_the_environment():
    tree = ast.parse(
        'os.environ.get("A")\nos.environ["B"]\nos.getenv("C")\n_env_int("D", 1)\n"E" in os.environ\n'
        '_env_bool("F", False)\nx = settings.get("G")\n'
    )
    assert variables_read(tree) == {"A", "B", "C", "D", "E", "F"}


def test_every_variable_the_code_reads_is_documented_with_a_default():
    read = code_variables()
    assert "KENGEN_SECRET_KEY" in read and "DATABASE_URL" in read  # the scanner works on the real code
    missing = {name: sorted(files) for name, files in read.items() if name not in documented_variables()}
    assert missing == {}, f"add these to the table in docs/operations.md: {missing}"


def test_the_table_lists_no_variable_the_code_does_not_read():
    stale = documented_variables() - set(code_variables())
    assert stale == set(), f"documented but never read: {sorted(stale)}"
