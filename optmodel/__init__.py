"""optmodel: state an optimization problem once, solve it with whichever backend fits.

>>> import optmodel as om
>>> m = om.Model()
>>> x = m.var(2, lb=0)
>>> _ = m.add(x.sum() <= 1)
>>> m.maximize(x @ [1, 2])
>>> round(m.solve().objective, 6)
2.0
"""

from optmodel.atoms import log
from optmodel.backend import Backend, Capability, SolveOptions
from optmodel.canonical import CanonicalForm, Sense
from optmodel.errors import CapabilityError, InputError, ModelError, OptmodelError
from optmodel.expr import Constraint, Expr, QuadExpr, Var, sum_squares
from optmodel.model import Model
from optmodel.solution import Solution, SolutionStatus, Status, Termination

__version__ = "0.1.0"


def solve(model: Model, backend: str | None = None, **options: object) -> Solution:
    """Solve ``model`` with ``backend`` (default: the best installed one); see ``SolveOptions``."""
    from optmodel.dispatch import solve as _solve

    return _solve(model, backend=backend, **options)


def read(path: str) -> Model:
    """A model from an MPS (fixed or free; QPS) or CPLEX LP file."""
    from optmodel.formats import read_model_file

    return Model.from_canonical(read_model_file(path))[0]


def write(model: Model, path: str) -> None:
    """Write a model (linear or quadratic objective, SOS sets, indicators, semicontinuous variables) as MPS or
    CPLEX LP, by the file's extension."""
    from optmodel.formats import write_model_file

    write_model_file(model.canonical(), path)


__all__ = [
    "Backend",
    "CanonicalForm",
    "Capability",
    "CapabilityError",
    "Constraint",
    "Expr",
    "InputError",
    "Model",
    "ModelError",
    "OptmodelError",
    "QuadExpr",
    "Sense",
    "Solution",
    "SolutionStatus",
    "SolveOptions",
    "Status",
    "Termination",
    "Var",
    "log",
    "read",
    "solve",
    "sum_squares",
    "write",
]
