"""What a problem module is: it builds a spec from data and reports the answer in its own terms.

Problem modules live in ``optmodel.problems`` (the repo's ``problems/`` folder); each defines
``PROBLEM``, an instance of a ``Problem`` subclass. The CLI adds the common solve options.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from optmodel.backend import Capability, SolveOptions
from optmodel.errors import OptmodelError
from optmodel.solution import Solution

if TYPE_CHECKING:
    from optmodel.model import Model


def check_output_path(path: str | None) -> None:
    """Fail before the work, not after it: an output file (a plot, a written model) must name a file
    in an existing folder."""
    if path is None:
        return
    from pathlib import Path

    from optmodel.errors import InputError

    target = Path(path)
    if target.is_dir():
        raise InputError("is a folder; give a file name inside it", path)
    if not target.absolute().parent.is_dir():
        raise InputError("its folder does not exist (create it first)", path)


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
    # What its models ask of a backend: `--backend`'s help lists exactly the installed backends
    # that declare these capabilities (None: the help points to `explain`), the default first.
    needs: ClassVar[frozenset[Capability] | None] = None
    default_backend: ClassVar[str | None] = None
    backend_aliases: ClassVar[dict[str, str]] = {}  # e.g. {"ortools": "routing"}
    backend_note: ClassVar[str] = ""
    # The problem in the lecture's mathematics (shown by `explain`), and the adjacent
    # formulations optmodel knows for it.
    formulation: ClassVar[list[str]] = []
    adjacent: ClassVar[list[str]] = []
    # Generated instances of growing size, for `bench` and `explain`.
    sizes_help: ClassVar[str] = "instance size"
    example_size: ClassVar[int] = 10

    def instance(self, size: int, seed: int = 0) -> Model:
        """A generated instance of the given size (for `bench` and `explain`)."""
        raise OptmodelError(f"problem {self.name!r} has no generated instances (it is stated from data)")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add this problem's own command-line options."""

    def run(self, args: argparse.Namespace, backend: str | None, options: SolveOptions) -> Report:
        raise NotImplementedError  # pragma: no cover - every problem module defines it
