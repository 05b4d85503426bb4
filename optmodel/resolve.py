"""Re-solving a changed model on the solver that solved it last, instead of loading it again.

A model keeps the loaded adapter of its last LP/MIP solve (``model._session``): the backend label,
the adapter and the form it holds. The next solve with the same backend (and the same
load-time options) compares that form with the new prepared one, vectorised, and where only
what a loaded solver can change has changed hands the difference (a ``FormChange``: objective
coefficients, offset and sense, column bounds, row bounds, rows appended at the end) to the
adapter's ``update`` (``Capability.RESOLVE``). The solver then starts from where it stopped: HiGHS
and GLOP keep their simplex basis. Anything else (new variables, another quadratic part,
integrality, SOS/indicator/semicontinuous structures, a reduction that rewrites the model, rows
that became free) loads the form afresh. ``Solution.stats["resolve"]`` says which happened:
``"warm"`` or ``"rebuilt: <reason>"``.

The session is what the solver holds, no more: it is dropped before each solve and kept again
only after a solve that ended with a final answer or a limit; an error, an interrupt or a failed
update leaves none. ``SolveOptions(resolve=False)`` loads afresh on a new solver and leaves the
session as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import Capability, solver_output
from optmodel.interrupt import stop_requested
from optmodel.lazy import Rows
from optmodel.reductions import DropFreeRows, Normalise
from optmodel.solution import Termination

if TYPE_CHECKING:
    from collections.abc import Sequence

    from optmodel.backend import Adapter, RawResult, SolveOptions
    from optmodel.canonical import CanonicalForm, Sense
    from optmodel.model import Model
    from optmodel.reductions import Reduction

# After these the solver's state is a sound starting point for the next solve.
_KEEP = (
    Termination.OPTIMAL, Termination.INFEASIBLE, Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED,
    Termination.TIME_LIMIT, Termination.ITERATION_LIMIT,
)
# Reductions that only restate data (bounds, free rows): anything else rewrites the model.
_PLAIN = (Normalise, DropFreeRows)


@dataclass
class FormChange:
    """The difference between the form a solver holds and ``form``, in the solver's row and
    column numbering. Unchanged parts are ``None`` or empty arrays. ``rows`` are appended after
    the loaded rows (over all columns); everything else keeps the loaded rows and columns."""

    form: CanonicalForm  # the form the solver holds once the change is applied
    sense: Sense | None = None
    offset: float | None = None
    cost_cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    costs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bound_cols: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    col_lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    col_upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bound_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    row_lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    row_upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rows: Rows | None = None

    @property
    def objective_changed(self) -> bool:
        return self.sense is not None or self.offset is not None or self.cost_cols.size > 0

    @property
    def empty(self) -> bool:
        return not (self.objective_changed or self.bound_cols.size or self.bound_rows.size or self.rows is not None)

    def summary(self) -> dict[str, Any]:
        """Counts for ``Solution.stats["resolve_changes"]``."""
        return {
            "objective": self.objective_changed,
            "costs": int(self.cost_cols.size),
            "column_bounds": int(self.bound_cols.size),
            "row_bounds": int(self.bound_rows.size),
            "rows_added": self.rows.count if self.rows is not None else 0,
        }


@dataclass
class Session:
    """A model's loaded solver: what ``adapter`` holds is ``form``, whose row ``i`` is model row
    ``rows[i]`` (free rows are not loaded) of the ``model_rows`` the model had then."""

    owner: int  # id() of the model (a shallow copy of the model does not own it)
    label: str
    adapter: Adapter
    form: CanonicalForm
    rows: np.ndarray
    model_rows: int
    options: tuple[Any, ...]


def load_and_run(
    model: Model, backend: Adapter, form: CanonicalForm, chain: Sequence[Reduction], options: SolveOptions
) -> RawResult:
    """Solve ``form`` (the model as ``backend`` takes it, after ``chain``) on the solver the model
    loaded last where only what it can change has changed, else load it into ``backend`` afresh.
    ``backend`` ends holding the loaded solver either way (its ``iis()`` reads it)."""
    from optmodel.solving import load_and_run as load_fresh  # the pipeline imports this module

    if not options.resolve:  # a solve on the side: the loaded solver, if any, stays as it is
        raw = load_fresh(backend, form, options)
        raw.stats["resolve"] = "rebuilt: resolve=False"
        return raw
    session, model._session = model._session, None  # dropped unless this solve ends well
    rows, model_rows = _row_map(form, chain)
    key = _options_key(options)
    raw: RawResult | None = None
    reason = _why_not_warm(session, model, backend, chain, options, key)
    if reason is None:
        change = diff(session.form, form, session.rows, rows, session.model_rows)
        if isinstance(change, str):
            reason = change
        else:
            raw, reason = _warm(session.adapter, backend, change, options)
    if raw is None:
        raw = load_fresh(backend, form, options)
        raw.stats["resolve"] = f"rebuilt: {reason}"
    if Capability.RESOLVE in backend.capabilities and raw.termination in _KEEP and not stop_requested():
        model._session = Session(id(model), backend.label, backend, form, rows, model_rows, key)
    return raw


def _warm(loaded: Adapter, backend: Adapter, change: FormChange, options: SolveOptions) -> tuple[RawResult | None, str]:
    """Apply ``change`` to the loaded solver and run it; ``backend`` (the dispatcher's fresh
    adapter) takes over the loaded solver's state. ``(None, reason)`` where the adapter refuses."""
    with solver_output(options.verbose):
        start = time.perf_counter()
        try:
            refused = None if change.empty else loaded.update(change)
        except Exception as e:  # the solver rejected a change: the loaded model is suspect, load afresh
            refused = f"the update failed ({type(e).__name__}: {e})"
        if refused is not None:
            return None, refused
        vars(backend).update(vars(loaded))  # the fresh adapter becomes the loaded one
        updated = time.perf_counter()
        if options.time_limit is not None:
            options = replace(options, time_limit=max(options.time_limit - (updated - start), 0.0))
        raw = backend.run(options)
    raw.build_seconds += updated - start
    raw.solve_seconds += time.perf_counter() - updated
    raw.stats["resolve"] = "warm"
    raw.stats["resolve_changes"] = change.summary()
    return raw, ""


def _why_not_warm(
    session: Session | None, model: Model, backend: Adapter, chain: Sequence[Reduction], options: SolveOptions,
    key: tuple[Any, ...],
) -> str | None:
    """Why this solve cannot reuse the loaded solver (before comparing the forms), or None."""
    if Capability.RESOLVE not in backend.capabilities:
        return f"{backend.label} cannot change a loaded model"
    if session is None:
        return "no solver loaded (first solve, or the last one did not end cleanly)"
    if session.owner != id(model):
        return "the loaded solver belongs to another model"
    if session.label != backend.label or type(session.adapter) is not type(backend):
        return f"the last solve used {session.label}"
    if session.options != key:
        return "the solver options changed"
    if options.warm_start is not None:
        return "a start point was given (it is passed when the model is loaded)"
    rewritten = [r.name for r in chain if not isinstance(r, _PLAIN)]
    if rewritten:
        return f"the model is rewritten for {backend.label} ({', '.join(rewritten)})"
    return None


def _options_key(options: SolveOptions) -> tuple[Any, ...]:
    """The options that adapters may apply when loading (the time limit is set at each run)."""
    return (options.mip_gap, options.threads, bool(options.verbose), dict(options.solver_options))


def _row_map(form: CanonicalForm, chain: Sequence[Reduction]) -> tuple[np.ndarray, int]:
    """The model row of each row of ``form``, and the model's number of rows."""
    free = next((r for r in chain if isinstance(r, DropFreeRows)), None)
    if free is None or free.keep is None:
        return np.arange(form.num_rows), form.num_rows
    return free.keep, free.num_rows


def diff(
    old: CanonicalForm, new: CanonicalForm, old_rows: np.ndarray, new_rows: np.ndarray, old_model_rows: int
) -> FormChange | str:
    """What changed from ``old`` (loaded) to ``new``, or the reason it is not a change a loaded
    solver takes. ``*_rows`` map each form's rows to model rows (``old_model_rows``: the model's
    row count when ``old`` was loaded); constraints are immutable, so a form whose first rows are
    the loaded ones and whose other rows are new model rows has rows appended."""
    if new.num_cols != old.num_cols:
        return "the model has new variables"
    if not np.array_equal(new.integrality, old.integrality):
        return "integrality changed"
    if old.has_special or new.has_special:
        return "the model has SOS, indicator or semicontinuous structures"
    if (old.Q is None) != (new.Q is None) or (old.Q is not None and not _same_matrix(old.Q, new.Q)):
        return "the quadratic objective changed"
    if new.Q is not None and new.sense is not old.sense:
        return "the sense of a quadratic objective changed"
    k = old.num_rows
    if (
        new.num_rows < k
        or not np.array_equal(new_rows[:k], old_rows)
        or np.any(new_rows[k:] < old_model_rows)
    ):
        return "rows became free or stopped being free"
    if not _same_rows(old.A, new.A, k):
        return "the constraint matrix changed"
    change = FormChange(new)
    if new.sense is not old.sense:
        change.sense = new.sense
    if new.offset != old.offset:
        change.offset = float(new.offset)
    cols = np.flatnonzero(new.c != old.c)
    change.cost_cols, change.costs = cols, new.c[cols]
    cols = np.flatnonzero((new.col_lower != old.col_lower) | (new.col_upper != old.col_upper))
    change.bound_cols, change.col_lower, change.col_upper = cols, new.col_lower[cols], new.col_upper[cols]
    lower, upper = new.row_lower[:k], new.row_upper[:k]
    rows = np.flatnonzero((lower != old.row_lower) | (upper != old.row_upper))
    change.bound_rows, change.row_lower, change.row_upper = rows, lower[rows], upper[rows]
    if new.num_rows > k:
        change.rows = Rows(sp.csr_array(new.A[k:]), new.row_lower[k:], new.row_upper[k:])
    return change


def _same_rows(old: sp.csr_array, new: sp.csr_array, k: int) -> bool:
    """Whether the first ``k`` rows of ``new`` are ``old`` (both canonical CSR), without copying."""
    if old is new:
        return True
    old, new = sp.csr_array(old), sp.csr_array(new)
    if k == 0:
        return True
    if not np.array_equal(old.indptr[: k + 1] - old.indptr[0], new.indptr[: k + 1] - new.indptr[0]):
        return False
    a, b = int(old.indptr[0]), int(new.indptr[0])
    nnz = int(old.indptr[k]) - a
    return np.array_equal(old.indices[a : a + nnz], new.indices[b : b + nnz]) and np.array_equal(
        old.data[a : a + nnz], new.data[b : b + nnz]
    )


def _same_matrix(a: sp.csr_array, b: sp.csr_array) -> bool:
    return a is b or (a.shape == b.shape and (sp.csr_array(a) != sp.csr_array(b)).nnz == 0)
