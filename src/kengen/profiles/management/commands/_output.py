"""Printing the demo sign-ins as an aligned table (East Asian wide characters count as two)."""

from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, size: int) -> str:
    return text + " " * max(0, size - width(text))


def table(headers: list[str], rows: list[list[list[str]]]) -> str:
    """``rows``: each cell is a list of lines (a cell may span several lines)."""
    sizes = [width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            sizes[i] = max([sizes[i], *(width(line) for line in cell)])
    sep = "  "
    out = [sep.join(pad(h, sizes[i]) for i, h in enumerate(headers)).rstrip()]
    out.append(sep.join("-" * s for s in sizes))
    for row in rows:
        height = max(1, *(len(cell) for cell in row))
        for n in range(height):
            line = sep.join(pad(cell[n] if n < len(cell) else "", sizes[i]) for i, cell in enumerate(row))
            out.append(line.rstrip())
    return "\n".join(out)


def sign_ins_table(profile, *, on) -> str:
    """The profile's demo sign-ins: username, password, who, and the roles they hold on ``on``."""
    from kengen.profiles.selectors import demo_sign_ins

    rows = []
    for s in demo_sign_ins(profile, on=on):
        who = s.user.person.full_name if s.user is not None and s.user.person is not None else "—"
        rows.append(
            [
                [s.login.username],
                [profile.demo_password if s.user is not None else _("(not loaded)")],
                [who, *([s.position] if s.position else [])],
                s.roles or [_("(no role: ordinary staff)")],
            ]
        )
    headers = [
        _("Username"),
        _("Password"),
        _("Person"),
        _("Roles on %(date)s") % {"date": on.isoformat()},
    ]
    return table(headers, rows)
