"""What a problem module is: it builds a spec from data and reports the answer in its own terms.

Problem modules live in ``optmodel.problems`` (the repo's ``problems/`` folder); each defines
``PROBLEM``, an instance of a ``Problem`` subclass. The CLI adds the common solve options.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any, ClassVar

from optmodel.backend import SolveOptions
from optmodel.solution import Solution


@dataclass
class Report:
    """A solved problem: the solver's result plus the answer in the problem's own terms."""

    solution: Solution | None
    answer: dict[str, Any] = field(default_factory=dict)  # merged into the --json object
    lines: list[str] = field(default_factory=list)  # human-readable summary

    def to_dict(self) -> dict[str, Any]:
        out = self.solution.to_dict() if self.solution is not None else {}
        out.update(self.answer)
        return out


class Problem:
    name: ClassVar[str]
    summary: ClassVar[str]
    # Options that only make sense for LP/MIP backends (--backend, --mip-gap, ...) are added
    # by the CLI unless a problem handles its own.
    uses_lp_backends: ClassVar[bool] = True

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add this problem's own command-line options."""

    def run(self, args: argparse.Namespace, backend: str | None, options: SolveOptions) -> Report:
        raise NotImplementedError  # pragma: no cover - every problem module defines it
