"""Certificates of infeasibility and unboundedness, checked independently of the solver.

An infeasible LP is proved so by a **Farkas ray** y (one weight per row, the row duals' sign
convention: a positive weight uses the row's lower side, a negative one its upper side). Adding
the rows with these weights gives ``(Aᵀy)ᵀx >= Σ yᵢ bᵢ``; the column bounds cap the left side at
``max over the bounds of (Aᵀy)ᵀx``. If that cap is below the right side, no point exists: scaled,
the rows and bounds add up to ``0 >= 1``.

An unbounded LP is proved so by a feasible point x₀ and a **primal ray** d: A d stays within the
recession cone of the rows (0 where both sides are finite, >= 0 or <= 0 where one is), d within
that of the column bounds, and the objective improves along it (cᵀd < 0 when minimising, and
Q d = 0 for a quadratic objective). Every x₀ + t·d, t >= 0, is then feasible and the objective
has no limit.

The rays come from the solver where it hands them out (HiGHS's ``getDualRay``/``getPrimalRay``)
or else from a small auxiliary LP solved on the same backend: the **Farkas LP** (maximise the
contradiction over normalised weights) and the **ray LP** (minimise cᵀd over the recession cone
with -1 <= d <= 1). Either way optmodel checks them here, with numpy, before ``sol.certified``
is true. The tolerances are relative to the size of the terms involved, as in ``optmodel.verify``.

MIPs: a Farkas ray of the LP relaxation proves a MIP infeasible too (integer bounds are rounded
inwards beforehand), but a MIP whose relaxation is feasible has no such certificate, and is
reported uncertified. An unbounded MIP is certified only with an integer-feasible point and a
ray that is integral on the integer columns after scaling by a small integer (so x₀ + t·d stays
integral for integer t); SOS sets, indicators and semicontinuous columns are not certified.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.canonical import CanonicalForm, Names, Sense
from optmodel.solution import Termination
from optmodel.verify import FEASIBILITY_TOLERANCE, INTEGRALITY_TOLERANCE, _violation

if TYPE_CHECKING:
    from optmodel.backend import Adapter, RawResult, SolveOptions

# Ray entries below this (relative to the largest) are rounding noise and set to 0 before the check.
RAY_CLEAN = 1e-9
# An entry of the combined row below this (relative to the terms it sums) counts as 0: a Farkas ray must cancel
# every column without a finite bound in the direction it pushes, to this accuracy.
CANCEL_TOLERANCE = 1e-9
# The contradiction (Farkas) or the objective improvement (primal ray), relative to its terms.
MARGIN_TOLERANCE = 1e-7
# A primal ray's rows may leave their recession cone by this much, relative to their terms (and
# by the entries cleaned away). First-order solvers' rays (PDLP, ~1e-10 per step) often fail it:
# their unbounded answers then stand uncertified. 1e-7 accepted a ray of a bounded LP (optimum 1e8).
CONE_TOLERANCE = 1e-9
# A ray within the cone tolerance must improve the objective by this factor of its size at the
# point before it leaves any row by more than the feasibility tolerance.
UNBOUNDED_REACH = 1e7
# dᵀQd along a QP's ray, relative to its terms: only rounding is forgiven.
CURVATURE_TOLERANCE = 1e-12
# Largest integer factor tried to make an unbounded MIP's ray integral on its integer columns.
MAX_DENOMINATOR = 1000
# Rows and bounds named in a certificate's sentence.
NAMED = 8


@dataclass
class Certificate:
    """A Farkas ray (``kind == "farkas"``) or a primal ray (``"primal_ray"``), with optmodel's check.

    ``lhs`` and ``rhs`` are the two sides of the inequality the certificate violates. Farkas: the
    rows combined say ``(Aᵀy)ᵀx >= rhs`` while the column bounds cap the left side at ``lhs``, and
    ``lhs < rhs``. Primal ray: a bounded objective would need ``lhs >= rhs`` with ``lhs`` the
    change of the minimised objective per step along the ray (the ray scaled to largest entry 1,
    or for a MIP to its smallest step that is integral on the integer columns) and ``rhs == 0``.
    ``margin`` is the violation relative to the size of the terms.
    """

    kind: str
    ray: np.ndarray = field(repr=False)
    checked: bool = False
    lhs: float = math.nan
    rhs: float = math.nan
    margin: float = math.nan
    source: str = ""  # where the ray came from: the solver, an auxiliary LP, the bounds
    point: np.ndarray | None = field(default=None, repr=False)  # primal ray: the verified feasible point
    bound_weights: np.ndarray | None = field(default=None, repr=False)  # Farkas: weights of the column bounds
    scale: float = 1.0  # primal ray of a MIP: the factor that makes it integral on the integer columns
    problems: list[str] = field(default_factory=list)
    sentence: str = ""

    def words(self) -> str:
        """The certificate in a sentence (why it does not hold, when it was not checked)."""
        if self.checked:
            return self.sentence
        why = "; ".join(self.problems) or "not checked"
        return f"not a certificate: {why}"

    def to_dict(self, values: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "checked": self.checked,
            "source": self.source,
            "lhs": _jsonable(self.lhs),
            "rhs": _jsonable(self.rhs),
            "margin": _jsonable(self.margin),
            "words": self.words(),
        }
        if self.problems:
            out["problems"] = list(self.problems)
        if self.kind == "primal_ray" and self.scale != 1.0:
            out["scale"] = self.scale
        if values:
            out["ray"] = self.ray.tolist()
            if self.point is not None:
                out["point"] = self.point.tolist()
        return out


def _jsonable(v: float) -> float | str | None:
    if math.isnan(v):
        return None
    return v if math.isfinite(v) else ("inf" if v > 0 else "-inf")


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def relaxation(form: CanonicalForm) -> CanonicalForm:
    """The continuous relaxation whose infeasibility implies the form's: integrality dropped,
    semicontinuous columns widened to include 0, SOS sets and indicator rows dropped."""
    if not form.is_mip:
        return form
    lower, upper = form.col_lower, form.col_upper
    if form.semicontinuous is not None:
        semi = form.semicontinuous
        lower = np.where(semi, np.minimum(lower, 0.0), lower)
        upper = np.where(semi, np.maximum(upper, 0.0), upper)
    return dataclasses.replace(
        form, integrality=np.zeros(form.num_cols, dtype=bool), col_lower=lower, col_upper=upper,
        semicontinuous=None, sos=(), indicators=None,
    )


def bounds_contradiction(form: CanonicalForm) -> Certificate | None:
    """A column or row whose own lower bound exceeds its upper bound (the two bounds, added, give
    0 >= lower - upper > 0); None if there is none. Semicontinuous columns may still be 0."""
    form = relaxation(form)
    for label, names, lower, upper in (
        ("bounds of", form.col_names, form.col_lower, form.col_upper),
        ("two sides of constraint", form.row_names, form.row_lower, form.row_upper),
    ):
        with np.errstate(invalid="ignore"):
            gap = (lower - upper) / (1.0 + np.maximum(np.abs(lower), np.abs(upper)))
        bad = np.flatnonzero(gap > MARGIN_TOLERANCE)
        if bad.size:
            j = int(bad[0])
            name = names.label(j)
            lo, hi = float(lower[j]), float(upper[j])
            weights = np.zeros(form.num_cols)
            if label == "bounds of":
                weights[j] = 1.0
            return Certificate(
                "farkas", np.zeros(form.num_rows), checked=True, lhs=hi, rhs=lo, margin=float(gap[j]),
                source="the bounds", bound_weights=weights,
                sentence=f"the {label} {name} (>= {lo:g} and <= {hi:g}) with weights {_num(1 / (lo - hi))} "
                f"each give 0 >= 1",
            )
    return None


def _empty_row(form: CanonicalForm) -> Certificate | None:
    """A row without variables whose bounds exclude 0: weight 1 on it is a Farkas ray."""
    empty = np.diff(form.A.indptr) == 0
    bad = np.flatnonzero(empty & ((form.row_lower > 0) | (form.row_upper < 0)))
    if not bad.size:
        return None
    y = np.zeros(form.num_rows)
    y[int(bad[0])] = 1.0
    cert = check_farkas(form, y, source="an empty row")
    return cert if cert.checked else None


def check_farkas(form: CanonicalForm, ray: Any, source: str = "") -> Certificate:
    """Check a Farkas ray of ``row_lower <= A x <= row_upper, col_lower <= x <= col_upper``
    (integrality and special structure relaxed). The sign convention of solvers differs: both
    signs are tried, and the one that proves infeasibility (or fails by the least) is kept."""
    form = relaxation(form)
    y = np.asarray(ray, dtype=float).reshape(-1) if ray is not None else np.zeros(0)
    if y.shape != (form.num_rows,) or not np.all(np.isfinite(y)) or not np.any(y):
        why = "the ray is empty, zero, non-finite or of the wrong length"
        if y.shape != (form.num_rows,):
            why += f" ({y.shape[0]} entries for {form.num_rows} rows)"
        return Certificate("farkas", y, source=source, problems=[why])
    best: Certificate | None = None
    for sign in (1.0, -1.0):
        cert = _farkas(form, sign * y, source)
        if cert.checked:
            return cert
        if best is None or _better(cert, best):
            best = cert
    assert best is not None
    return best


def _better(a: Certificate, b: Certificate) -> bool:
    """The failed certificate that is nearer a proof: fewer infinite bounds priced, larger margin."""
    ka = (len(a.problems), -(a.margin if math.isfinite(a.margin) else -math.inf))
    kb = (len(b.problems), -(b.margin if math.isfinite(b.margin) else -math.inf))
    return ka < kb


def _farkas(form: CanonicalForm, y: np.ndarray, source: str) -> Certificate:
    y = y / np.abs(y).max()
    y = np.where(np.abs(y) <= RAY_CLEAN, 0.0, y)
    cert = Certificate("farkas", y, source=source)
    # A positive weight uses the row's lower side (a x >= l), a negative one its upper side.
    priced = np.where(y > 0, form.row_lower, np.where(y < 0, form.row_upper, 0.0))
    infinite = np.flatnonzero((y != 0) & ~np.isfinite(priced))
    if infinite.size:
        i = int(infinite[0])
        side = "lower" if y[i] > 0 else "upper"
        cert.problems.append(
            f"it weights the infinite {side} side of constraint {form.row_names.label(i)} "
            f"({infinite.size} such row(s))"
        )
    rhs_terms = np.where(y != 0, y * np.where(np.isfinite(priced), priced, 0.0), 0.0)
    g = form.A.T @ y  # the combined row
    size = abs(form.A).T @ np.abs(y)  # what it sums, to judge cancellation
    # The bounds cap (Aᵀy)ᵀx at Σ g_j u_j (g_j > 0) + Σ g_j l_j (g_j < 0). Rounding noise is
    # forgiven only where that bound is infinite (the column must cancel); against a finite bound
    # even a tiny entry counts, as g_j·u_j (a bound of 2e9 makes 1e-9 worth 2).
    cap = np.where(g > 0, form.col_upper, np.where(g < 0, form.col_lower, 0.0))
    g = np.where((np.abs(g) <= CANCEL_TOLERANCE * size) & ~np.isfinite(cap), 0.0, g)
    cap = np.where(g > 0, form.col_upper, np.where(g < 0, form.col_lower, 0.0))
    open_cols = np.flatnonzero((g != 0) & ~np.isfinite(cap))
    if open_cols.size:
        j = int(open_cols[0])
        cert.problems.append(
            f"the combined row keeps {form.col_names.label(j)} (coefficient {g[j]:.3g}), whose bound in that "
            f"direction is infinite ({open_cols.size} such column(s))"
        )
    lhs_terms = np.where(g != 0, g * np.where(np.isfinite(cap), cap, 0.0), 0.0)
    cert.bound_weights = -g
    if cert.problems:
        return cert
    lhs, rhs = float(lhs_terms.sum()), float(rhs_terms.sum())
    scale = 1.0 + max(float(np.abs(lhs_terms).max(initial=0.0)), float(np.abs(rhs_terms).max(initial=0.0)))
    cert.lhs, cert.rhs, cert.margin = lhs, rhs, (rhs - lhs) / scale
    if not cert.margin > MARGIN_TOLERANCE:
        cert.problems.append(
            f"the rows combined give (Aᵀy)ᵀx >= {rhs:.6g}, which the bounds allow (up to {lhs:.6g}): no contradiction"
        )
        return cert
    cert.checked = True
    cert.sentence = _farkas_sentence(form, y, g, rhs - lhs)
    return cert


def _farkas_sentence(form: CanonicalForm, y: np.ndarray, g: np.ndarray, gap: float) -> str:
    rows = np.flatnonzero(y)
    w = y / gap  # scaled so that the contradiction reads 0 >= 1
    named, more = _largest(rows, np.abs(w[rows]))
    label, weights = ("row", "with weight") if rows.size == 1 else ("rows", "combined with weights")
    text = f"{label} {', '.join(form.row_names.label(int(i)) for i in named)}{_more(more, 'row')}"
    text += f" {weights} {', '.join(_num(w[i]) for i in named)}"
    cols = np.flatnonzero(g)
    if cols.size:
        named_cols, more_cols = _largest(cols, np.abs(g[cols]))
        text += f" (and the bounds of {', '.join(form.col_names.label(int(j)) for j in named_cols)}"
        text += f"{_more(more_cols, 'column')})"
    return f"{text} {'gives' if rows.size == 1 else 'give'} 0 >= 1"


def check_primal_ray(
    form: CanonicalForm, ray: Any, point: Any, source: str = ""
) -> Certificate:
    """Check that ``point`` is feasible and ``ray`` a direction of unbounded improvement from it."""
    d = np.asarray(ray, dtype=float).reshape(-1) if ray is not None else np.zeros(0)
    cert = Certificate("primal_ray", d, source=source)
    if form.has_special:
        cert.problems.append("SOS sets, indicators or semicontinuous columns: unboundedness is not certified")
        return cert
    if d.shape != (form.num_cols,) or not np.all(np.isfinite(d)) or not np.any(d):
        cert.problems.append("the ray is empty, zero, non-finite or of the wrong length")
        return cert
    d = d / np.abs(d).max()
    raw_direction = d
    d = np.where(np.abs(d) <= RAY_CLEAN, 0.0, d)
    if form.is_mip:
        d, cert.scale = _integral(d, form.integrality)
        if d is None:
            cert.problems.append(
                f"the ray is not integral on the integer columns after scaling by any integer up to {MAX_DENOMINATOR}"
            )
            return cert
    cert.ray = d
    cert.problems += _ray_problems(form, d)
    x = _checked_point(form, point, cert.problems)
    cert.point = x
    if cert.problems:
        return cert
    s = form.sense.sign
    terms = s * form.c * d
    change = float(terms.sum())  # of the minimised objective, per step
    size = float(np.abs(terms).sum())
    cert.lhs, cert.rhs = change, 0.0
    cert.margin = -change / size if size > 0 else 0.0
    if not (cert.margin > MARGIN_TOLERANCE and -change > CANCEL_TOLERANCE * (1.0 + np.abs(form.c).max())):
        cert.problems.append(f"the objective does not improve along the ray (change {s * change:.3g} per step)")
        return cert
    # a ray that leaves a row's side (within tolerance) does so only so far
    reach = _reach(form, x, d if form.is_mip else raw_direction)
    if reach * -change < UNBOUNDED_REACH * (1.0 + abs(form.objective_value(x))):
        cert.problems.append(
            f"along the ray a constraint is left after improving the objective by {reach * -change:.3g}: "
            "bounded, as far as the ray shows"
        )
        return cert
    cert.checked = True
    cert.sentence = _ray_sentence(form, d, s * change, cert.scale)
    return cert


def _ray_problems(form: CanonicalForm, d: np.ndarray) -> list[str]:
    problems = []
    bad = np.flatnonzero(((d > 0) & np.isfinite(form.col_upper)) | ((d < 0) & np.isfinite(form.col_lower)))
    if bad.size:
        j = int(bad[0])
        problems.append(f"the ray moves {form.col_names.label(j)} towards its finite bound ({bad.size} column(s))")
    r = form.A @ d
    size = abs(form.A) @ (np.abs(d) + RAY_CLEAN)
    # r may not grow towards a finite side: r > 0 needs no upper side, r < 0 no lower side.
    out = np.where(np.isfinite(form.row_upper), np.maximum(r, 0.0), 0.0)
    out = out + np.where(np.isfinite(form.row_lower), np.maximum(-r, 0.0), 0.0)
    bad = np.flatnonzero(out > CONE_TOLERANCE * size)
    if bad.size:
        i = int(bad[0])
        problems.append(
            f"along the ray constraint {form.row_names.label(i)} changes by {r[i]:.3g} per step towards its "
            f"finite side ({bad.size} row(s))"
        )
    if form.Q is not None:
        qd = form.Q @ d
        qsize = abs(form.Q) @ (np.abs(d) + RAY_CLEAN)
        # Any upward curvature bounds the objective along the ray: dᵀQd must vanish to rounding.
        curving = form.sense.sign * float(d @ qd) > CURVATURE_TOLERANCE * float(np.abs(d) @ qsize)
        if curving or np.any(np.abs(qd) > CONE_TOLERANCE * qsize):
            problems.append("the quadratic part of the objective curves along the ray (Q d != 0)")
    return problems


def _reach(form: CanonicalForm, x: np.ndarray, d: np.ndarray) -> float:
    """How far one can go from ``x`` along ``d`` before a row that the ray leaves (by rounding,
    within the cone tolerance) is violated by more than the feasibility tolerance (inf: never)."""
    r = form.A @ d
    activity = form.A @ x
    steps = [math.inf]
    with np.errstate(divide="ignore", invalid="ignore"):
        for side, outward in ((form.row_upper, r > 0), (form.row_lower, r < 0)):
            hit = outward & np.isfinite(side)
            if hit.any():
                room = np.abs(side[hit] - activity[hit]) + FEASIBILITY_TOLERANCE * (1.0 + np.abs(side[hit]))
                steps.append(float(np.min(room / np.abs(r[hit]))))
    return min(steps)


def _checked_point(form: CanonicalForm, point: Any, problems: list[str]) -> np.ndarray | None:
    if point is None:
        problems.append("no feasible point to start the ray from")
        return None
    x = np.asarray(point, dtype=float).reshape(-1)
    if x.shape != (form.num_cols,) or not np.all(np.isfinite(x)):
        problems.append("the feasible point has the wrong length or non-finite entries")
        return None
    worst = max(
        float(_violation(x, form.col_lower, form.col_upper).max(initial=0.0)),
        float(_violation(form.A @ x, form.row_lower, form.row_upper).max(initial=0.0)),
    )
    if not worst <= FEASIBILITY_TOLERANCE:
        problems.append(f"the point the ray starts from violates a bound or constraint by {worst:.3g} (relative)")
    if form.is_mip:
        xi = x[form.integrality]
        if not float(np.abs(xi - np.round(xi)).max(initial=0.0)) <= INTEGRALITY_TOLERANCE:
            problems.append("the point the ray starts from is fractional on an integer column")
    return x


def _integral(d: np.ndarray, integrality: np.ndarray) -> tuple[np.ndarray | None, float]:
    """``(k·d, k)`` with k the smallest factor up to MAX_DENOMINATOR (after dividing by the
    smallest integer entry) making d integral on the integer columns, those entries rounded."""
    v = d[integrality & (d != 0)]
    if v.size == 0:
        return d, 1.0
    base = np.abs(v).min()
    v = v / base
    for q in range(1, MAX_DENOMINATOR + 1):  # candidate denominators, each a vector test
        w = q * v
        if np.abs(w - np.round(w)).max() <= 1e-9 * np.abs(w).max():
            k = q / base
            out = d * k
            out[integrality] = np.round(out[integrality])
            return out, float(k)
    return None, math.nan


def _ray_sentence(form: CanonicalForm, d: np.ndarray, change: float, scale: float) -> str:
    cols = np.flatnonzero(d)
    named, more = _largest(cols, np.abs(d[cols]))
    moves = ", ".join(f"{form.col_names.label(int(j))} {'+' if d[j] > 0 else ''}{_num(d[j])}" for j in named)
    way = "lowers" if form.sense is Sense.MINIMIZE else "raises"
    integral = " (and the integer columns integral)" if form.is_mip else ""
    return (
        f"from a feasible point, steps of {moves}{_more(more, 'column')} keep every constraint and bound "
        f"satisfied{integral} and each {way} the objective by {_num(abs(change))}, without limit"
    )


def _largest(index: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, int]:
    """The NAMED entries of ``index`` with the largest ``size``, in index order, and how many more."""
    if index.size <= NAMED:
        return index, 0
    top = np.argpartition(-size, NAMED - 1)[:NAMED]
    return np.sort(index[top]), int(index.size - NAMED)


def _more(count: int, what: str) -> str:
    return f" and {count} more {what}{'s' if count > 1 else ''}" if count else ""


def _num(v: float) -> str:
    return f"{float(v):.4g}"



# ---------------------------------------------------------------------------------------------
# Auxiliary LPs: rays where the solver gives none
# ---------------------------------------------------------------------------------------------


def farkas_lp(form: CanonicalForm) -> tuple[CanonicalForm, np.ndarray, np.ndarray]:
    """The Farkas LP of the relaxation, and the rows its weight columns belong to (lower, upper).

    maximise  Σ l_i p_i - Σ u_i q_i + Σ l_j r_j - Σ u_j s_j   (finite bounds only)
    s.t.      Aᵀ(p - q) + r - s = 0,   0 <= p, q, r, s <= 1

    Its optimum is positive exactly when the relaxation is infeasible; y = p - q is the ray.
    """
    form = relaxation(form)
    n = form.num_cols
    low = np.flatnonzero(np.isfinite(form.row_lower))
    up = np.flatnonzero(np.isfinite(form.row_upper))
    col_low = np.flatnonzero(np.isfinite(form.col_lower))
    col_up = np.flatnonzero(np.isfinite(form.col_upper))
    at = sp.csr_array(form.A.T)
    eye = sp.identity(n, format="csr")
    matrix = sp.csr_array(sp.hstack([at[:, low], -at[:, up], eye[:, col_low], -eye[:, col_up]], format="csr"))
    keep = np.flatnonzero(np.diff(matrix.indptr) > 0)  # a column in no row, without bounds: nothing to cancel
    matrix = matrix[keep]
    c = np.concatenate(
        [form.row_lower[low], -form.row_upper[up], form.col_lower[col_low], -form.col_upper[col_up]]
    )
    k = c.shape[0]
    names = Names([("p", 0, low.size, None, False), ("q", low.size, up.size, None, False),
                   ("r", low.size + up.size, col_low.size, None, False),
                   ("s", low.size + up.size + col_low.size, col_up.size, None, False)])
    aux = CanonicalForm(
        sense=Sense.MAXIMIZE, c=c, offset=0.0, A=matrix,
        row_lower=np.zeros(keep.size), row_upper=np.zeros(keep.size),
        col_lower=np.zeros(k), col_upper=np.ones(k), integrality=np.zeros(k, dtype=bool),
        col_names=names, row_names=Names([("cancel", 0, keep.size, None, False)]), name=f"{form.name}_farkas",
    )
    return aux, low, up


def ray_lp(form: CanonicalForm) -> CanonicalForm:
    """The ray LP of the relaxation: minimise (maximise) cᵀd over the recession cone of the rows
    and bounds, with -1 <= d <= 1 (and Q d = 0 for a quadratic objective)."""
    form = relaxation(form)
    keep = np.flatnonzero(np.isfinite(form.row_lower) | np.isfinite(form.row_upper))
    A = form.A[keep]
    lower = np.where(np.isfinite(form.row_lower[keep]), 0.0, -np.inf)
    upper = np.where(np.isfinite(form.row_upper[keep]), 0.0, np.inf)
    if form.Q is not None:
        A = sp.vstack([A, form.Q], format="csr")
        lower = np.concatenate([lower, np.zeros(form.num_cols)])
        upper = np.concatenate([upper, np.zeros(form.num_cols)])
    A = sp.csr_array(A)
    nonempty = np.flatnonzero(np.diff(A.indptr) > 0)
    return CanonicalForm(
        sense=form.sense, c=form.c.astype(float), offset=0.0, A=A[nonempty],
        row_lower=lower[nonempty], row_upper=upper[nonempty],
        col_lower=np.where(np.isfinite(form.col_lower), 0.0, -1.0),
        col_upper=np.where(np.isfinite(form.col_upper), 0.0, 1.0),
        integrality=np.zeros(form.num_cols, dtype=bool), col_names=form.col_names,
        row_names=Names([("recession", 0, nonempty.size, None, False)]), name=f"{form.name}_ray",
    )


def _solve_aux(backend: Adapter, aux: CanonicalForm, options: SolveOptions) -> tuple[RawResult | None, str]:
    """One auxiliary LP on a fresh adapter of the same backend: (answer, '') or (None, why not)."""
    from optmodel.backend import Capability
    from optmodel.solving import load_and_run, trivial

    if Capability.LP not in backend.capabilities:
        return None, f"{backend.label} cannot solve the auxiliary LP that computes a certificate"
    raw = trivial(aux)
    if raw is None:
        options = dataclasses.replace(options, warm_start=None, duals=False, iis=False)
        try:
            raw = load_and_run(type(backend)(backend.subsolver), aux, options)
        except Exception as err:  # a certificate is extra: a backend that refuses it leaves the answer standing
            return None, f"{backend.label} could not solve the auxiliary LP ({type(err).__name__}: {err})"
    if raw.termination is not Termination.OPTIMAL or raw.x is None:
        return None, f"{backend.label} ended the auxiliary LP with {raw.termination.value}"
    return raw, ""


def farkas_ray(form: CanonicalForm, backend: Adapter, options: SolveOptions) -> tuple[np.ndarray | None, str]:
    """A Farkas ray of the relaxation by the Farkas LP on ``backend``, or (None, why not)."""
    aux, low, up = farkas_lp(form)
    raw, why = _solve_aux(backend, aux, options)
    if raw is None:
        return None, why
    x = np.asarray(raw.x, dtype=float)
    optimum = float(aux.c @ x)
    if not optimum > MARGIN_TOLERANCE * (1.0 + float(np.abs(aux.c * x).sum())):
        found = f"the Farkas LP on {backend.label} found no contradiction (optimum {optimum:.3g})"
        return None, f"{found}: {_feasible(form)}"
    y = np.zeros(form.num_rows)
    np.add.at(y, low, x[: low.size])
    np.subtract.at(y, up, x[low.size : low.size + up.size])
    return y, ""


def _feasible(form: CanonicalForm) -> str:
    if form.is_mip:
        return "the LP relaxation is feasible (a MIP's infeasibility has no Farkas certificate in general)"
    return "the model may be feasible"


def primal_ray(form: CanonicalForm, backend: Adapter, options: SolveOptions) -> tuple[np.ndarray | None, str]:
    """A primal ray of the relaxation by the ray LP on ``backend``, or (None, why not)."""
    aux = ray_lp(form)
    raw, why = _solve_aux(backend, aux, options)
    if raw is None:
        return None, why
    return np.asarray(raw.x, dtype=float), ""


def feasible_point(form: CanonicalForm, backend: Adapter, options: SolveOptions) -> tuple[np.ndarray | None, str]:
    """A feasible point by the feasibility problem (zero objective) on ``backend``."""
    from optmodel.reductions import FeasibilityProblem

    raw, why = _solve_aux(backend, FeasibilityProblem().apply(form), options)
    return (None, why) if raw is None else (np.asarray(raw.x, dtype=float), "")


def certify(
    form: CanonicalForm,
    termination: Termination,
    raw: RawResult,
    backend: Adapter,
    options: SolveOptions,
    point: np.ndarray | None = None,
) -> tuple[Certificate | None, str]:
    """The checked certificate of an infeasible or unbounded answer, and a note on how it was
    found or why there is none. The solver's ray is checked first; the auxiliary LP on the same
    backend is used where there is none or it fails the check. ``point``: a feasible point the
    core already has (the feasibility problem's)."""
    if termination is Termination.INFEASIBLE:
        cert = bounds_contradiction(form) or _empty_row(form)
        if cert is not None:
            return cert, ""
        failed: Certificate | None = None
        if raw.dual_ray is not None:
            failed = check_farkas(form, raw.dual_ray, source=f"dual ray of {backend.label}")
            if failed.checked:
                return failed, ""
        y, why = farkas_ray(form, backend, options)
        if y is None:
            return failed, why
        cert = check_farkas(form, y, source=f"Farkas LP on {backend.label}")
        return cert, "" if cert.checked else f"{'; '.join(cert.problems)}: {_feasible(form)}"
    if termination is Termination.UNBOUNDED:
        if form.has_special:
            return None, "SOS sets, indicators or semicontinuous columns: unboundedness is not certified"
        why = ""
        if point is None or np.shape(point) != (form.num_cols,):
            point, why = feasible_point(form, backend, options)
            if point is None:
                return None, why
        failed = None
        if raw.primal_ray is not None:
            failed = check_primal_ray(form, raw.primal_ray, point, source=f"primal ray of {backend.label}")
            if failed.checked:
                return failed, ""
        d, why = primal_ray(form, backend, options)
        if d is None:
            return failed, why
        cert = check_primal_ray(form, d, point, source=f"ray LP on {backend.label}")
        return cert, "" if cert.checked else "; ".join(cert.problems)
    return None, ""
