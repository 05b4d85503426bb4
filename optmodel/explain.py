"""``explain``: what a model is, what structure it has, and who can solve it.

The lecture's workflow: can I express my task as an optimization problem, can an off-the-shelf
optimizer solve it, and if not, is there an adjacent problem that is more amenable?
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optmodel.backend import Capability
from optmodel.model import Model

_KIND = {
    Capability.LP: "linear program (LP)",
    Capability.MIP: "mixed-integer linear program (MIP)",
    Capability.CONVEX: "convex program (nonlinear objective)",
    Capability.ORDERING: "ordering problem (a permutation decision: TSP / seriation)",
    Capability.MINIMAX: "minimax (saddle-point) problem over torch parameters",
    Capability.QUADRATIC: "convex quadratic program (QP)",
    Capability.MIQP: "mixed-integer convex quadratic program (MIQP)",
    Capability.NONCONVEX: "nonconvex quadratic program (solved to global optimality)",
}


@dataclass
class Explanation:
    title: str
    kind: str
    formulation: list[str]  # lines of Unicode mathematics
    latex: str
    sizes: dict[str, Any]
    structure: list[str]
    backends: dict[str, str | None]  # label -> None when it can solve, else why not
    adjacent: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def text(self) -> str:
        out = [self.title, "=" * len(self.title), "", f"kind: {self.kind}", "", "formulation:"]
        out += [f"  {line}" for line in self.formulation]
        out += ["", "sizes: " + ", ".join(f"{k} {v}" for k, v in self.sizes.items() if v is not None)]
        if self.structure:
            out += ["", "structure:"] + [f"  - {s}" for s in self.structure]
        able = [label for label, why in self.backends.items() if why is None]
        out += ["", "backends that can solve it: " + (", ".join(able) or "none installed")]
        reasons: dict[str, list[str]] = {}  # one line per reason, naming the backends it applies to
        for label, why in self.backends.items():
            if why is not None:
                reason = why.removeprefix(f"{label} ").removeprefix("is ")
                reasons.setdefault(reason, []).append(label)
        if reasons:
            out += ["backends that cannot, and why:"]
            out += [f"  - {', '.join(labels)}: {reason}" for reason, labels in reasons.items()]
        if self.adjacent:
            out += ["", "adjacent formulations:"] + [f"  - {a}" for a in self.adjacent]
        return "\n".join(out)


def _bounds_text(lo: np.ndarray, hi: np.ndarray) -> str:
    if lo.size == 0:
        return ""
    lo_same, hi_same = np.all(lo == lo[0]), np.all(hi == hi[0])
    parts = []
    if lo_same and np.isfinite(lo[0]):
        parts.append(f"≥ {lo[0]:g}")
    elif not lo_same:
        parts.append("≥ lower bounds")
    if hi_same and np.isfinite(hi[0]):
        parts.append(f"≤ {hi[0]:g}")
    elif not hi_same:
        parts.append("≤ upper bounds")
    return ", ".join(parts)


def _rows_text(lower: np.ndarray, upper: np.ndarray) -> str:
    if np.array_equal(lower, upper):
        return "= b"
    if np.all(np.isinf(lower)):
        return "≤ b"
    if np.all(np.isinf(upper)):
        return "≥ b"
    return "∈ [l, u]"


def _tex(kind: str) -> str:
    return kind.replace("≤", r"\le").replace("≥", r"\ge").replace("∈", r"\in")


def formulation(model: Model) -> tuple[list[str], str]:
    """The model in Unicode and in LaTeX, block by block (sizes, not every coefficient)."""
    lines: list[str] = []
    tex: list[str] = []
    obj = model.objective
    if obj is None:
        lines.append("find a feasible point")
        tex.append(r"\text{find } x")
    elif model.is_linear and model.canonical().is_quadratic:
        form = model.canonical()
        convex = "convex" if form.is_convex() else "nonconvex"
        lines.append(f"{obj.sense.value} ½ xᵀQx + cᵀx{' + c₀' if form.offset else ''}   "
                     f"(Q: {form.Q.nnz} nonzeros, {convex})")
        tex.append(rf"\{'min' if obj.sense.sign > 0 else 'max'}\; \tfrac12 x^\top Q x + c^\top x")
    elif model.is_linear:
        lines.append(f"{obj.sense.value} cᵀx{' + c₀' if model.canonical().offset else ''}")
        tex.append(rf"\{'min' if obj.sense.sign > 0 else 'max'}\; c^\top x")
    else:
        lines.append(f"{obj.sense.value} {getattr(obj.expr, 'formula', type(obj.expr).__name__)}")
        tex.append(rf"\{'min' if obj.sense.sign > 0 else 'max'}\; \text{{{type(obj.expr).__name__}}}")
    if model.constraints or model.families or model.variables:
        lines.append("subject to")
        tex.append(r"\text{s.t.}")
    lb, ub = model._lb, model._ub
    for con in model.constraints:
        kind = _rows_text(con.lower, con.upper)
        lines.append(f"  {con.name}: A·x {kind}   ({con.size} rows, {con.coef.nnz} nonzeros)")
        tex.append(rf"\quad A_{{\text{{{con.name}}}}} x {_tex(kind)}")
    for _cols, active, con in model.indicators:
        kind = _rows_text(con.lower, con.upper)
        lines.append(f"  {con.name}: b = {int(active[0])} ⇒ A·x {kind}   ({con.size} indicator rows)")
        tex.append(rf"\quad b = {int(active[0])} \Rightarrow A_{{\text{{{con.name}}}}} x {_tex(kind)}")
    for sos in model.sos:
        rule = "at most one nonzero" if sos.kind == 1 else "at most two adjacent nonzero"
        lines.append(f"  {sos.name}: SOS{sos.kind} over {sos.columns.size} variables ({rule})")
        tex.append(rf"\quad \text{{{sos.name}: SOS{sos.kind}}}")
    for family in model.families:
        desc = family.description or "constraints returned by a separation oracle"
        lines.append(f"  {family.name}: {desc}   (generated lazily)")
        tex.append(rf"\quad \text{{{family.name}: generated lazily}}")
    for var, lo, hi, integer, semi in zip(model.variables, lb, ub, model._integer, model._semicontinuous,
                                          strict=True):
        domain = "ℤ" if integer.all() else "ℝ"
        bounds = _bounds_text(lo, hi)
        if domain == "ℤ" and np.all(lo >= 0) and np.all(hi <= 1):
            domain, bounds = "{0,1}", ""
        elif integer.any() and not integer.all():
            bounds = f"{bounds}; {int(integer.sum())} of them integer".lstrip("; ")
        if semi.all():
            bounds = f"{'semi-integer' if integer.all() else 'semicontinuous'}: 0 or {bounds}"
        elif semi.any():
            bounds = f"{bounds}; {int(semi.sum())} of them semicontinuous (0 or within bounds)".lstrip("; ")
        shape = "×".join(map(str, var.shape)) or "1"
        lines.append(f"  {var.name} ∈ {domain}^{shape}{'  ' + bounds if bounds else ''}")
        tex.append(rf"\quad {var.name} \in \mathbb{{{'Z' if domain != 'ℝ' else 'R'}}}^{{{shape}}}")
    return lines, r" \\ ".join(tex)


def structure(model: Model) -> list[str]:
    found = _reductions(model)
    if model.is_linear and model.num_rows:
        from optmodel.backends.auto import recognise

        form = model.canonical()
        network, _ = recognise(form)
        if network is not None:
            integral = np.array_equal(form.row_lower, np.round(form.row_lower))
            found.append(
                "network matrix: every column has one +1 and one −1 (an arc), so A is totally unimodular"
                + ("; with integral supplies every vertex of the LP is integral, so integrality can be dropped"
                   if integral else "")
                + " — the auto backend solves it combinatorially (Dijkstra / min-cost flow) with an LP certificate"
            )
    for family in model.families:
        found.append(
            f"constraint family {family.name!r} is exponentially large and handled lazily: a separation oracle "
            "adds only violated constraints (in-solver with SCIP/OR-Tools SCIP, row generation elsewhere)"
        )
    if model.is_mip:
        found.append(f"{int(model.canonical().integrality.sum())} integer variables: branch-and-bound/cut")
    return found


def _reductions(model: Model) -> list[str]:
    """The named reductions the core applies before any backend sees the model (or why it can't),
    and for SOS sets, indicators and semicontinuous variables which backends take them natively and
    which get a reduction."""
    if not model.is_linear:
        return []
    from optmodel.errors import ModelError
    from optmodel.reductions import prepare, special_reductions

    try:
        checked, _, chain = prepare(model.canonical())
    except ModelError as err:
        return [f"ill-posed, refused before any backend: {err}"]
    found = [f"reduction {r.name!r} before any backend: {r.description}" for r in chain]
    if not checked.has_special:
        return found
    routes: dict[str, list[str]] = {}
    for label, reason in backend_report(model).items():
        if reason is not None:
            continue
        backend = _backend(label)
        names = [r.name for r in special_reductions(checked, backend.native(checked))]
        routes.setdefault(", ".join(names) if names else "", []).append(label)
    for names, labels in routes.items():
        how = f"by the reduction(s) {names}" if names else "natively"
        found.append(f"SOS / indicator / semicontinuous structure solved {how} on {', '.join(labels)}")
    return found


def _backend(label: str) -> Any:
    from optmodel.dispatch import backend_classes

    name, _, sub = label.partition(":")
    return backend_classes()[name](sub or None)


def backend_report(model: Model) -> dict[str, str | None]:
    from optmodel.dispatch import backend_classes

    report: dict[str, str | None] = {}
    for name, cls in backend_classes().items():
        reason = cls.unavailable_reason()
        if reason:
            report[name] = f"unavailable: {reason}"
            continue
        for sub in cls.subsolvers:
            report[f"{name}:{sub}"] = cls(sub).why_not(model)
    return report


def explain_model(model: Model, title: str | None = None, adjacent: list[str] | None = None,
                  math: list[str] | None = None) -> Explanation:
    needs = model.requirements()
    order = (Capability.MINIMAX, Capability.ORDERING, Capability.CONVEX, Capability.NONCONVEX, Capability.MIQP,
             Capability.QUADRATIC, Capability.MIP, Capability.LP)
    kind = next((_KIND[c] for c in order if c in needs), "problem")
    lines, tex = formulation(model)
    sizes: dict[str, Any] = {
        "variables": model.num_vars,
        "integer": int(sum(int(b.sum()) for b in model._integer)),
        "constraints": model.num_rows,
        "nonzeros": model.canonical().nnz if model.is_linear else None,
        "lazy families": len(model.families),
    }
    return Explanation(
        title=title or f"model {model.name!r}",
        kind=kind,
        formulation=(math or []) + ([""] if math else []) + lines,
        latex=tex,
        sizes=sizes,
        structure=structure(model),
        backends=backend_report(model),
        adjacent=adjacent or [],
    )


def model_html(model: Model) -> str:
    e = explain_model(model)
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in e.sizes.items() if v is not None)
    body = "<br>".join(html.escape(line) for line in e.formulation)
    return f"<b>{html.escape(e.title)}</b> — {html.escape(e.kind)}<br><code>{body}</code><table>{rows}</table>"


def certificate_lines(sol: Any) -> list[str]:
    """An infeasible or unbounded answer's proof in words (``optmodel.certificates``), or why
    there is none; nothing for other answers."""
    if sol.status.value not in ("infeasible", "unbounded"):
        return []
    cert = sol.certificate
    if cert is not None and cert.checked:
        kind = "Farkas ray" if cert.kind == "farkas" else "primal ray and feasible point"
        return [f"certificate ({kind} from {cert.source}, checked by optmodel): {cert.words()}"]
    why = cert.words() if cert is not None else sol.stats.get("certificate", "no certificate was computed")
    return [f"not certified: {why.removeprefix('not certified: ')}"]
