"""scipy.sparse, imported when first used rather than with optmodel.

Importing scipy.sparse takes longer than importing numpy; ``import optmodel`` and the command
line's ``--help`` need neither it nor anything else from scipy. ``sparse.X`` imports it on first
use (Python caches the module, so later uses are a dictionary lookup).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any


class _Deferred:
    """A module imported at the first attribute read."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<deferred module {self._name!r}>"


sparse: Any = _Deferred("scipy.sparse")


def issparse(value: Any) -> bool:
    """Whether ``value`` is a scipy sparse matrix or array; nothing can be one before scipy.sparse
    has been imported, so this never imports it."""
    module = sys.modules.get("scipy.sparse")
    return module is not None and bool(module.issparse(value))
