"""The results store: one JSON object per finished run, one per line (JSONL), appended and synced.

A line is written whole and flushed to disk (``fsync``) before the next run is counted as done, so a
benchmark killed at any moment keeps every finished run; a half-written last line (the kill came
mid-write) is cut off when the store is opened again. The file is readable with any JSON-lines tool
(``pandas.read_json(path, lines=True)``, ``jq``).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from optmodel.errors import InputError


class Store:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.is_dir():
            raise InputError("the results store is a folder; name a .jsonl file", path=self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._rows = self._read()

    def _read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a line cut short by a kill: drop it, it will be run again
            with self.path.open("r+b") as f:
                f.truncate(end)
            data = data[:end]
        rows, bad = [], 0
        for line in data.decode("utf-8", errors="replace").splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                bad += 1
                continue
            if isinstance(row, dict) and "run" in row:
                rows.append(row)
        if bad:
            print(f"optmodel: {self.path}: skipped {bad} unreadable line(s); those runs will be redone",
                  file=sys.stderr)
        return rows

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One row per run: the latest, where a run was retried."""
        return list({row["run"]: row for row in self._rows}.values())

    def done(self, retry: frozenset[str] = frozenset()) -> set[str]:
        """The runs finished, less those whose latest status is in ``retry`` (e.g. crashed)."""
        return {row["run"] for row in self.rows if row.get("status") not in retry}

    def append(self, row: dict[str, Any]) -> None:
        row = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
        line = json.dumps(row, allow_nan=False, default=str) + "\n"
        with self.path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
        self._rows.append(row)
