"""Backend modules, one per solver family; each defines ``BACKEND``, a ``Backend`` subclass.

Importing a backend module must not import its solver library (that happens in ``solve``).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from optmodel.backend import Backend


def get(name: str) -> type[Backend] | None:
    """The backend class called ``name``, importing only its module when names follow the
    convention (``fast-tsp`` lives in ``fast_tsp.py``); None when there is no such backend."""
    try:
        module = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
    except ImportError:
        module = None
    cls = getattr(module, "BACKEND", None)
    if cls is not None and cls.name == name:
        return cls
    return discover().get(name)


@cache
def discover() -> dict[str, type[Backend]]:
    found: dict[str, type[Backend]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        cls = getattr(module, "BACKEND", None)
        if cls is not None:
            found[cls.name] = cls
    return found
