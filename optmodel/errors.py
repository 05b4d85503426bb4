"""Errors that optmodel reports to the user as one clear line (the CLI never shows a traceback)."""

from __future__ import annotations

from pathlib import Path


class OptmodelError(Exception):
    """Base class: anything optmodel reports as a user-facing message."""


class InputError(OptmodelError):
    """Bad input data: a missing file, a malformed line, an unknown vertex."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        where = ""
        if self.path is not None:
            where = f"{self.path}:{line}: " if line is not None else f"{self.path}: "
        super().__init__(where + message)


class UsageError(OptmodelError):
    """A command line that does not parse: an unknown option, a missing argument, a bad value."""


class ModelError(OptmodelError):
    """A model that cannot be built as stated (shape mismatch, nonlinear product, ...)."""


class CapabilityError(OptmodelError):
    """A backend was asked for something it does not declare it can do."""


class BackendUnavailable(OptmodelError):
    """A backend's solver library is not installed."""
