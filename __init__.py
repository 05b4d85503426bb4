"""The root folder of a clone of the optmodel repository; the package itself is ``optmodel/`` below.

Python imports this folder as a package in two cases:

- as ``optmodel``, when the folder that holds a clone named ``optmodel`` comes first on sys.path
  (the current folder for ``python -c`` and ``python -m``, the script's folder for ``python
  script.py``), and when pytest runs in such a clone (it imports the root, which holds this file,
  under the clone's name). Without this file the folder would be an empty namespace package that
  wins over the installed optmodel (setuptools' editable finder comes after Python's path finder),
  and ``optmodel.Model`` would fail with "module 'optmodel' has no attribute 'Model'". Instead this
  module becomes the package: it runs ``optmodel/__init__.py`` in its own namespace and looks up
  submodules in ``optmodel/`` and, for ``optmodel.backends`` and ``optmodel.problems``, here (as
  pyproject.toml's package-dir maps them). When the clone is not the optmodel that is installed,
  a warning says which one is being used and why.
- under any other name (pytest in a clone named otherwise): then nothing happens.

Nothing installs this file: pyproject.toml lists the packages, and this folder is none of them.
"""

import os as _os

if __name__ == "optmodel":
    _root = _os.path.dirname(_os.path.abspath(__file__))
    _package = _os.path.join(_root, "optmodel")
    __path__[:] = [_package, _root]  # the package first, then backends/ and problems/ here

    def _installed_elsewhere() -> str | None:
        """Where the installed optmodel lives, when that is not this clone (None if it is, or none is)."""
        import importlib.metadata
        import json
        from urllib.parse import unquote, urlparse

        try:
            dist = importlib.metadata.distribution("optmodel")
        except importlib.metadata.PackageNotFoundError:
            return None
        direct = json.loads(dist.read_text("direct_url.json") or "{}")
        if direct.get("dir_info", {}).get("editable"):  # pip install -e: the source folder
            where = unquote(urlparse(direct.get("url", "")).path)
        else:
            where = _os.path.dirname(str(dist.locate_file("optmodel/__init__.py")))
        same = where and _os.path.realpath(where) in (_os.path.realpath(_root), _os.path.realpath(_package))
        return None if same or not where else where

    _elsewhere = _installed_elsewhere()
    if _elsewhere is not None:
        import warnings

        warnings.warn(
            f"importing optmodel from the clone at {_root}, not the installed optmodel at {_elsewhere}: "
            f"{_os.path.dirname(_root)}, which holds the clone, comes first on sys.path (as the current folder, "
            "your script's folder, or put there by pytest). Run from another folder to use the installed one.",
            stacklevel=2,
        )
    with open(_os.path.join(_package, "__init__.py"), "rb") as _f:
        exec(compile(_f.read(), _os.path.join(_package, "__init__.py"), "exec"))
    del _f, _elsewhere, _installed_elsewhere, _root, _package
