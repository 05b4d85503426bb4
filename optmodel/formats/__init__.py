"""Model files: MPS (fixed and free; ``.qps`` for QPs) and CPLEX LP, plain or gzipped.

``read_model_file`` and ``write_model_file`` pick the format from the file name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from optmodel.canonical import CanonicalForm
from optmodel.errors import InputError
from optmodel.formats.lp import read_lp, write_lp
from optmodel.formats.mps import read_mps, write_mps

__all__ = ["read_lp", "read_model_file", "read_mps", "write_lp", "write_model_file", "write_mps"]

_SUPPORTED = ".mps, .mps.gz, .lp, .lp.gz, .qps, .qps.gz"
_READERS: dict[str, Callable[..., CanonicalForm]] = {"mps": read_mps, "lp": read_lp}
_WRITERS: dict[str, Callable[[CanonicalForm, Path], None]] = {"mps": write_mps, "lp": write_lp}


def _format_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for fmt in ("mps", "lp"):
        if name.endswith("." + fmt):
            return fmt
    if name.endswith(".qps"):  # the Maros-Meszaros QP files: MPS with QUADOBJ
        return "mps"
    raise InputError(f"unknown model file extension; supported: {_SUPPORTED}", path=path)


def read_model_file(path: str | Path, check_bounds: bool = True) -> CanonicalForm:
    """Read an MPS (free or fixed, detected line by line) or CPLEX LP file, maybe gzipped.

    Errors name the file and line (and the row and column where there is one); numbers follow a
    strict grammar (no ``1_000``, no NaN where a number is due, no infinite coefficient); a file
    without ENDATA or End is refused as truncated. A column whose lower bound exceeds its upper
    bound is refused, naming the column and the line of its last bound (a ``Model`` cannot hold
    it); ``check_bounds=False`` reads it as written, an infeasible model, as HiGHS does.
    """
    path = Path(path)
    fmt = _format_of(path)
    if not path.exists():
        raise InputError("file not found", path=path)
    return _READERS[fmt](path, check_bounds=check_bounds)


def write_model_file(form: CanonicalForm, path: str | Path) -> None:
    """Write ``form`` as MPS or CPLEX LP, chosen by the extension (``.gz`` compresses)."""
    path = Path(path)
    _WRITERS[_format_of(path)](form, path)
