"""Progress of a long import or apply, readable from another request while the work's transaction
is still open (so it cannot live in the database): a small JSON file per wave in the data
directory, replaced atomically. The UI's progress bar polls it; the CLI prints it."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings


def _path(key: str) -> Path:
    base = Path(settings.DATA_DIR) / "progress"
    base.mkdir(parents=True, exist_ok=True)
    return base / f"{key}.json"


def progress_write(key: str, phase: str, done: int, total: int) -> None:
    path = _path(key)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"phase": phase, "done": done, "total": total, "at": time.time()}))
    os.replace(tmp, path)


def progress_read(key: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(_path(key).read_text())
    except (OSError, ValueError):
        return {"phase": "", "done": 0, "total": 0}
    return data


def progress_clear(key: str) -> None:
    _path(key).unlink(missing_ok=True)
