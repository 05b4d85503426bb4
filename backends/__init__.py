"""Backend modules, one per solver family; each defines ``BACKEND``, a ``Backend`` subclass.

Importing a backend module must not import its solver library (that happens in ``solve``).
A backend outside optmodel is named by its module's import path (``mypackage.mysolver``): any
importable module that defines ``BACKEND`` works wherever a backend name does.
"""

from __future__ import annotations

from functools import cache

from optmodel import plugins
from optmodel.backend import Backend


def get(name: str) -> type[Backend] | None:
    """The backend class called ``name`` (or defined by the module ``name`` when dotted), or None."""
    if "." in name:
        return plugins.external(name, "BACKEND")
    return plugins.load(__name__, "BACKEND", name) or discover().get(name)


@cache
def discover() -> dict[str, type[Backend]]:
    return plugins.discover(__name__, __path__, "BACKEND")
