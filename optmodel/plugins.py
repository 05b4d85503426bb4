"""Finding backend and problem modules: one module each, named after what it defines.

``fast-tsp`` lives in ``fast_tsp.py``; a module that defines ``BACKEND`` (or ``PROBLEM``) with that
``name`` is found by importing it alone, which keeps the CLI's start-up small.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable
from typing import Any


def load(package: str, attribute: str, name: str) -> Any | None:
    """``package.<name>``'s ``attribute`` when its ``.name`` is ``name``, else None."""
    try:
        module = importlib.import_module(f"{package}.{name.replace('-', '_')}")
    except ImportError:
        return None
    found = getattr(module, attribute, None)
    return found if found is not None and found.name == name else None


def external(module_path: str, attribute: str) -> Any | None:
    """``attribute`` of a module outside optmodel, named by its import path; None if it has none.
    A module that is missing or fails to import says so (a user's plugin deserves its own error)."""
    from optmodel.errors import OptmodelError

    try:
        module = importlib.import_module(module_path)
    except ModuleNotFoundError as err:
        if err.name is not None and module_path.startswith(err.name):
            return None
        raise OptmodelError(f"plugin {module_path!r} failed to import: {err}") from err
    except Exception as err:
        raise OptmodelError(f"plugin {module_path!r} failed to import: {type(err).__name__}: {err}") from err
    return getattr(module, attribute, None)


def discover(package: str, path: Iterable[str], attribute: str) -> dict[str, Any]:
    """Every module's ``attribute`` in the package, by name (modules starting with _ skipped)."""
    found: dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules(path), key=lambda i: i.name):
        if not info.name.startswith("_"):
            item = getattr(importlib.import_module(f"{package}.{info.name}"), attribute, None)
            if item is not None:
                found[item.name] = item
    return found
