"""Backend modules, one per solver family; each defines ``BACKEND``, a ``Backend`` subclass.

Importing a backend module must not import its solver library (that happens in ``solve``).
"""

from __future__ import annotations

from functools import cache

from optmodel import plugins
from optmodel.backend import Backend


def get(name: str) -> type[Backend] | None:
    """The backend class called ``name``, or None."""
    return plugins.load(__name__, "BACKEND", name) or discover().get(name)


@cache
def discover() -> dict[str, type[Backend]]:
    return plugins.discover(__name__, __path__, "BACKEND")
