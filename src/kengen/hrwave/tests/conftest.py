"""A small hand-built world for the wave (the personnel app's test world and its ``hr`` and
``grants`` fixtures) and a helper that writes HR lists in any encoding."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence

from kengen.hrwave.choices import DEFAULT_MAPPING
from kengen.personnel.tests.fixtures import GRANTED, grants, hr

D = dt.date(2024, 10, 1)
HEADER = [
    DEFAULT_MAPPING[k]
    for k in (
        "staff_number",
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "organization",
        "post",
        "employment_type",
        "appointment_to",
        "effective_on",
        "action",
        "reason",
    )
]


def hr_csv(
    rows: Sequence[Sequence[str]], *, encoding: str = "utf-8-sig", header: Sequence[str] = HEADER
) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(list(row) + [""] * (len(header) - len(row)))
    return out.getvalue().encode(encoding)


def move(number: str, org: str, post: str = "", on: str = "") -> list[str]:
    return [number, "", "", "", "", org, post, "", "", on, "異動"]


def hire(
    number: str, family: str, given: str, org: str, post: str, kind: str = "正規", to: str = ""
) -> list[str]:
    return [number, family, given, "カナ", "カナ", org, post, kind, to, "", "採用"]


def leave(number: str, reason: str = "退職") -> list[str]:
    return [number, "", "", "", "", "", "", "", "", "", reason]


__all__ = ["GRANTED", "grants", "hr"]
