"""CPLEX LP files to and from :class:`~optmodel.canonical.CanonicalForm`.

Sections: ``Minimize``/``Maximize`` (also min, max, minimum, maximum, minimise, maximise),
``Subject To`` (also st, s.t., such that), ``Bounds``, ``General``/``Generals``/``Gen``/
``Integers``, ``Binary``/``Binaries``/``Bin``, ``Semi-continuous``/``Semis``/``Semi``, ``SOS``,
``End``. Keywords are case-insensitive and start a line; ``\\`` starts a comment.

* a quadratic objective is ``obj: 3 x + [ 2 x ^ 2 + 2 x * y ] / 2``: with ``/ 2`` the bracket is
  ``½ xᵀQx``, without it the bracket is its terms as written (as CPLEX and HiGHS read it);
  brackets elsewhere (quadratic constraints) are refused;
* ``name: b = 1 -> x + y <= 3`` is an indicator constraint (``b`` binary; ``= 0`` too);
* a column in Semi-continuous is 0 or between its bounds (Bounds); with Generals, semi-integer;
* ``SOS`` lines are ``name: S1:: x1:1 x2:2`` (or ``S2::``), the numbers being weights.

Choices where readers differ:

* columns are numbered in order of first appearance (the writer lists every column in the
  objective, zero costs included, so the order survives a round trip);
* a variable repeated in one expression has its coefficients summed;
* a constant on the left of a constraint is moved to the right (HiGHS ignores it);
* ``lo <= expr <= hi`` in Subject To is read as a ranged row, but the writer never uses it
  (CPLEX and HiGHS do not accept it): a ranged row is written as two rows ``<name>_lo``
  (``>= lo``) and ``<name>_hi`` (``<= hi``), which reads back as an equivalent model;
* a binary variable is integer with upper bound 1 unless Bounds gives one (as HiGHS does);
* numbers with ``|value| >= 1e20`` and ``inf``/``infinity`` mean infinity;
* names that CPLEX LP cannot hold (brackets, operators, a leading digit, keywords) are
  rewritten on writing: ``x[0]`` becomes ``x(0)``, other bad characters become ``_``.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from optmodel.canonical import CanonicalForm, Indicators, Names, Sense
from optmodel.errors import InputError, ModelError
from optmodel.formats.mps import (
    INFINITY_THRESHOLD,
    SosMembers,
    _why_not_number,
    _write_lines,
    check_indicator_binaries,
    format_number,
    make_sos,
    model_name_from_path,
    open_text,
    refuse_impossible,
    unique_names,
)
from optmodel.numbers import DECIMAL

# Section keywords at the start of a line; unsupported ones first so that "General
# Constraints" is not taken for "General".
_SECTION = re.compile(
    r"""(?:
    (?P<unsupported>sos[12]|lazy\s+constraints|user\s+cuts
                    |general\s+constraints|genconstrs|pwlobj)
  | (?P<semis>semi-continuous|semis?)
  | (?P<sos>sos)
  | (?P<objective>minimi[sz]e|minimum|min|maximi[sz]e|maximum|max)
  | (?P<constraints>subject\s+to|such\s+that|s\.t\.|st\.?)
  | (?P<bounds>bounds?)
  | (?P<generals>generals?|gen|integers?)
  | (?P<binaries>binary|binaries|bin)
  | (?P<end>end)
)(?=\s|$)""",
    re.I | re.X,
)
_TOKEN = re.compile(
    r"""\s*(?:
    (?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)(?P<under>_[0-9][0-9_.eE]*)?
  | (?P<arrow>->|<->)
  | (?P<op><=|=<|>=|=>|<|>|=)
  | (?P<sign>[+-])
  | (?P<colon>:)
  | (?P<star>\*)
  | (?P<lbr>\[)
  | (?P<rbr>\])
  | (?P<caret>\^)
  | (?P<slash>/)
  | (?P<name>[^\s+\-*^<>=:\\\[\]0-9][^\s+\-*^<>=:\\]*)
  | (?P<other>\S)
)""",
    re.X,
)
_INF_WORDS = {"inf", "infinity"}
# a number as a whole (SOS weights): the num token's grammar with a sign
_ODD = frozenset({"other", "colon", "under"})  # token kinds that are errors
# "name:" at the start of a line in the objective or constraints; HiGHS writes and reads
# names that CPLEX would refuse ("001:", "...:"), so a label is anything up to the colon.
_LABEL = re.compile(r"\s*([^\s:]+)\s*:")
_PROBLEM_NAME = re.compile(r"\\\s*problem\s+name\s*:\s*(\S+)", re.I)


class _Tok:
    __slots__ = ("kind", "line", "text")

    def __init__(self, kind: str, text: str, line: int):
        self.kind = kind
        self.text = text
        self.line = line

    def is_value_start(self) -> bool:
        return self.kind in ("num", "sign", "badnum") or (
            self.kind == "name" and self.text.lower() in _INF_WORDS)


class _LpReader:
    def __init__(self, path: Path, check_bounds: bool = False):
        self.path = path
        self.check_bounds = check_bounds
        self.name: str | None = None
        self.sense: Sense | None = None
        self.col_names: list[str] = []
        self.col_index: dict[str, int] = {}
        self.costs: dict[int, float] = {}
        self.offset = 0.0
        self.row_names: list[str] = []
        self.row_index: dict[str, int] = {}
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self.ent_rows: list[int] = []
        self.ent_cols: list[int] = []
        self.ent_vals: list[float] = []
        self.lower: dict[int, float] = {}
        self.upper: dict[int, float] = {}
        self.bound_line: dict[int, int] = {}  # the last Bounds line of each column
        self.integer: set[int] = set()
        self.binary: set[int] = set()
        self.semi: set[int] = set()
        self.quad: list[tuple[int, int, float]] = []  # objective terms v * x_i * x_j
        self.sos_sets: list[tuple[int, str, int, SosMembers]] = []
        # indicator rows: name, binary column, active value, {col: coef}, lower, upper, line
        self.ind: list[tuple[str, int, int, dict[int, float], float, float, int]] = []
        self.last_line = 0

    def error(self, message: str, line: int | None) -> InputError:
        return InputError(message, path=self.path, line=line)

    def col(self, name: str) -> int:
        j = self.col_index.get(name)
        if j is None:
            j = self.col_index[name] = len(self.col_names)
            self.col_names.append(name)
        return j

    # -- splitting into sections and tokens ----------------------------------------------------

    def read(self, text_lines) -> CanonicalForm:
        sections: list[tuple[str, int, list[_Tok]]] = []
        ended = False
        lineno = 0
        section_word = ""
        text_lines = iter(text_lines)
        try:
            for lineno, raw in enumerate(text_lines, 1):
                if self.name is None and lineno <= 5:
                    m = _PROBLEM_NAME.match(raw.strip())
                    if m:
                        self.name = m.group(1)
                line = raw.split("\\", 1)[0].strip()
                if not line:
                    continue
                m = _SECTION.match(line) if line[0].isalpha() else None
                if m:
                    kind = m.lastgroup
                    if kind == "end":
                        ended = True
                        break
                    if kind == "objective":
                        if sections:
                            raise self.error("a second objective section", lineno)
                        word = m.group(0).lower()
                        self.sense = Sense.MAXIMIZE if word.startswith("max") else Sense.MINIMIZE
                    elif not sections:
                        raise self.error("the file must start with Minimize or Maximize", lineno)
                    sections.append((kind, lineno, []))
                    section_word = m.group(0)
                    line = line[m.end():]
                if not line.strip():
                    continue
                if not sections:
                    raise self.error("the file must start with Minimize or Maximize", lineno)
                kind, start, toks = sections[-1]
                if kind == "unsupported":
                    raise self.error(f"section {section_word!r} is not supported (lazy constraints, "
                                     "user cuts, general constraints and other special sections)", start)
                if kind == "sos":
                    toks.append(_Tok("raw", line, lineno))  # "name: S1:: x:1 y:2" has its own grammar
                    continue
                if kind in ("objective", "constraints"):
                    m = _LABEL.match(line)
                    if m:
                        toks.append(_Tok("label", m.group(1), lineno))
                        line = line[m.end():]
                for m in _TOKEN.finditer(line):
                    kind = m.lastgroup
                    if kind in _ODD:
                        if kind == "other":
                            raise self.error(f"character {m.group(kind)!r} is not supported here", lineno)
                        if kind == "colon":
                            raise self.error("unexpected ':' (a name and its colon start a line)", lineno)
                        # "1_000": refused where it is used, which names the row and column
                        toks.append(_Tok("badnum", m.group(0).strip(), lineno))
                        continue
                    toks.append(_Tok(kind, m.group(kind), lineno))
        except InputError as exc:
            # A file cut in the middle of its last line may fail there first: say it is truncated.
            if not sections or exc.line != lineno or any(s.split("\\", 1)[0].strip() for s in text_lines):
                raise
            detail = str(exc).removeprefix(f"{self.path}:{lineno}: ")
            raise self.error(f"file ends without End (truncated?); its last line does not read: {detail}",
                             lineno) from None
        self.last_line = lineno
        if not sections:
            raise self.error("no objective section (Minimize or Maximize)", lineno or None)
        if not ended:
            raise self.error("file ends without End (truncated?)", lineno or None)
        for kind, start, toks in sections:
            if kind != "unsupported":
                getattr(self, f"parse_{kind}")(toks, start)
        return self.finish()

    # -- token helpers --------------------------------------------------------------------------

    def tok(self, toks: list[_Tok], i: int, expected: str) -> _Tok:
        if i >= len(toks):
            line = toks[-1].line if toks else self.last_line
            raise self.error(f"expected {expected} but the section ends", line)
        return toks[i]

    def value(self, toks: list[_Tok], i: int, what: str) -> tuple[int, float]:
        """A signed constant (``inf`` allowed); returns (next index, value)."""
        sign = 1.0
        t = self.tok(toks, i, what)
        while t.kind == "sign":
            sign = -sign if t.text == "-" else sign
            i += 1
            t = self.tok(toks, i, what)
        if t.kind == "num":
            v = float(t.text)
        elif t.kind == "name" and t.text.lower() in _INF_WORDS:
            v = math.inf
        else:
            why = _why_not_number(t.text) if t.kind == "badnum" or t.text.lower() == "nan" else ""
            raise self.error(f"expected {what}, found {t.text!r}{why}", t.line)
        v *= sign
        if abs(v) >= INFINITY_THRESHOLD:
            v = math.copysign(math.inf, v)
        return i + 1, v

    def expression(self, toks: list[_Tok], i: int, open_end: bool = False,
                   quad: list[tuple[int, int, float]] | None = None, row: str | None = None
                   ) -> tuple[int, dict[int, float], float]:
        """Linear terms up to a comparison operator or the end: (next index, {col: coef}, const).

        With ``open_end`` (after ``lo <=``, where no operator has to follow) a term without a
        sign in front ends the expression instead of being an error. ``[ ... ]`` blocks of
        quadratic terms go to ``quad`` (the objective's); elsewhere they are an error. ``row``
        names the row in messages (None: the objective).
        """
        coefs: dict[int, float] = {}
        const = 0.0
        first = True
        while i < len(toks) and toks[i].kind != "op":
            t = toks[i]
            if not first and t.kind != "sign":
                if open_end:
                    break
                if t.kind == "label":
                    raise self.error(f"expected <=, >= or = and a right-hand side before {t.text}:",
                                     t.line)
                raise self.error(f"expected + or - before {t.text!r}", t.line)
            first = False
            sign = 1.0
            while t.kind == "sign":
                sign = -sign if t.text == "-" else sign
                i += 1
                t = self.tok(toks, i, "a term")
            if t.kind == "lbr":
                if quad is None:
                    raise self.error("quadratic terms ([ ... ]) are supported in the objective "
                                     "only, not in constraints", t.line)
                i = self.quadratic(toks, i, sign, quad)
                continue
            coef = 1.0
            have_coef = False
            if t.kind == "num":
                coef = float(t.text)
                if coef == math.inf:
                    raise self.error(self.not_finite(toks, i, row), t.line)
                have_coef = True
                i += 1
                if i < len(toks) and toks[i].kind == "star":
                    i += 1
                    if i >= len(toks) or toks[i].kind != "name":
                        raise self.error("expected a variable after '*'", t.line)
                t = toks[i] if i < len(toks) else None
            if t is not None and t.kind == "name" and t.text[0] in "iInN" and (
                    t.text.lower() in _INF_WORDS or (t.text.lower() == "nan" and not have_coef and i + 1 < len(toks)
                                                     and toks[i + 1].kind in ("name", "star"))):
                # "inf x", "x + inf", "nan x": infinity or NaN where a term or coefficient is due
                raise self.error(self.not_finite(toks, i, row), t.line)
            if t is not None and t.kind == "name":
                j = self.col(t.text)
                coefs[j] = coefs.get(j, 0.0) + sign * coef
                i += 1
            elif have_coef:
                const += sign * coef
            else:
                if t is not None and t.kind == "badnum":
                    raise self.error(self.not_finite(toks, i, row), t.line)
                what = t.text if t is not None else "the end of the section"
                raise self.error(f"expected a term, found {what!r}", (t or toks[i - 1]).line)
        return i, coefs, const

    def not_finite(self, toks: list[_Tok], i: int, row: str | None) -> str:
        """The message for the coefficient ``toks[i]`` that is not a finite number by the strict
        grammar (naming its variable if one follows, and the row)."""
        text = toks[i].text
        k = i + 1
        if k < len(toks) and toks[k].kind == "star":
            k += 1
        var = f" of {toks[k].text!r}" if k < len(toks) and toks[k].kind == "name" else ""
        where = "the objective" if row is None else f"constraint {row!r}"
        if toks[i].kind == "badnum":
            return f"bad number {text!r} for the coefficient{var} in {where}{_why_not_number(text)}"
        kind = "is NaN" if text.lower() == "nan" else (
            "overflows to infinity" if text[0].isdigit() or text[0] == "." else "is infinite")
        return f"the coefficient {text!r}{var} in {where} {kind}; coefficients must be finite"

    def quadratic(self, toks: list[_Tok], i: int, sign: float,
                  quad: list[tuple[int, int, float]]) -> int:
        """``[ 2 x ^ 2 + 3 x * y ] [/ 2]`` from ``toks[i] == '['``; returns the next index."""
        line = toks[i].line
        i += 1
        terms: list[tuple[int, int, float]] = []
        while True:
            t = self.tok(toks, i, "']' to close the quadratic terms")
            if t.kind == "rbr":
                i += 1
                break
            if terms and t.kind != "sign":
                raise self.error(f"expected + or - before {t.text!r} in the quadratic terms", t.line)
            s = 1.0
            while t.kind == "sign":
                s = -s if t.text == "-" else s
                i += 1
                t = self.tok(toks, i, "a quadratic term")
            coef = 1.0
            if t.kind == "num":
                coef = float(t.text)
                if coef == math.inf:
                    raise self.error(self.not_finite(toks, i, None), t.line)
                i += 1
                t = self.tok(toks, i, "a variable")
                if t.kind == "star":
                    i += 1
                    t = self.tok(toks, i, "a variable")
            a = self.quad_var(toks, i)
            t = self.tok(toks, i + 1, "'^ 2' or '* variable'")
            if t.kind == "caret":
                p = self.tok(toks, i + 2, "2 after '^'")
                if p.kind != "num" or float(p.text) != 2:
                    raise self.error(f"only squares (^ 2) are supported, found ^ {p.text}", p.line)
                b = a
            elif t.kind == "star":
                b = self.quad_var(toks, i + 2)
            else:
                raise self.error(f"expected '^ 2' or '* variable' after {toks[i].text!r} in the "
                                 f"quadratic terms, found {t.text!r}", t.line)
            i += 3
            terms.append((a, b, s * coef))
        scale = 1.0
        if i < len(toks) and toks[i].kind == "slash":
            t = self.tok(toks, i + 1, "2 after '/'")
            if t.kind != "num" or float(t.text) != 2:
                raise self.error(f"expected '/ 2' after the quadratic terms, found / {t.text}", t.line)
            scale = 0.5
            i += 2
        if not terms:
            raise self.error("empty quadratic terms '[ ]'", line)
        quad.extend((a, b, sign * scale * v) for a, b, v in terms)
        return i

    def quad_var(self, toks: list[_Tok], i: int) -> int:
        t = self.tok(toks, i, "a variable")
        end = t.text.find("]") if t.kind == "name" else -1
        if end > 0 and "[" not in t.text[:end]:
            # "y]/2": the name pattern allows ']' and '/' inside names such as x[0]
            rest = [_Tok(m.lastgroup, m.group(m.lastgroup), t.line)
                    for m in _TOKEN.finditer(t.text[end:])]
            toks[i:i + 1] = [_Tok("name", t.text[:end], t.line), *rest]
            t = toks[i]
        if t.kind != "name":
            why = _why_not_number(t.text) if t.kind == "badnum" else ""
            raise self.error(f"expected a variable in the quadratic terms, found {t.text!r}{why}", t.line)
        return self.col(t.text)

    # -- sections -------------------------------------------------------------------------------

    def parse_objective(self, toks: list[_Tok], start: int) -> None:
        i = 0
        if toks and toks[0].kind == "label":
            i = 1
        i, coefs, const = self.expression(toks, i, quad=self.quad)
        if i < len(toks):
            raise self.error(f"unexpected {toks[i].text!r} in the objective", toks[i].line)
        for j, v in coefs.items():
            self.costs[j] = self.costs.get(j, 0.0) + v
        self.offset += const
        if not math.isfinite(self.offset):
            raise self.error("the objective's constant must be finite", toks[-1].line if toks else start)

    def parse_constraints(self, toks: list[_Tok], start: int) -> None:
        i = 0
        n = len(toks)
        while i < n:
            line = toks[i].line
            name = None
            if toks[i].kind == "label":
                name = toks[i].text
                i += 1
                if i >= n:
                    raise self.error(f"constraint {name} has no body", line)
            if toks[i].kind == "op" and name is None:
                t = toks[min(i, n - 1)]
                raise self.error(f"unexpected {t.text!r} at the start of a constraint", t.line)
            indicator = None
            if (i + 3 < n and toks[i].kind == "name" and toks[i + 1].text == "="
                    and toks[i + 2].kind == "num" and toks[i + 3].kind == "arrow"):
                # "b = 1 -> row": the row holds where the binary b is 1
                if toks[i + 3].text != "->":
                    raise self.error("'<->' (if and only if) is not supported; an indicator "
                                     "constraint is 'b = 1 -> row'", line)
                if float(toks[i + 2].text) not in (0.0, 1.0):
                    raise self.error("an indicator is active when its binary is 0 or 1, not "
                                     f"{toks[i + 2].text}", line)
                indicator = (self.col(toks[i].text), int(float(toks[i + 2].text)))
                i += 4
                if i >= n:
                    raise self.error(f"indicator constraint {name or ''} has no row after '->'",
                                     line)
            lo, up = -math.inf, math.inf
            # "lo <= expr [<= hi]": a constant and an operator before the expression
            k = i
            while k < n and toks[k].kind == "sign":
                k += 1
            leading = (k + 1 < n and toks[k].kind == "num" and toks[k + 1].kind == "op") or (
                k + 1 < n and toks[k].is_value_start() and toks[k].kind == "name"
                and toks[k + 1].kind == "op")
            if leading:
                i, v = self.value(toks, i, "a number")
                op = toks[i].text
                i += 1
                lo, up = _apply(op, v, lo, up, flipped=True)
            row = name if name is not None else f"c{len(self.row_names) + 1}"  # for messages
            i, coefs, const = self.expression(toks, i, open_end=leading, row=row)
            if not leading and (i >= n or toks[i].kind != "op"):
                raise self.error("expected <=, >= or = and a right-hand side in constraint "
                                 f"{name or len(self.row_names) + 1}", toks[i - 1].line)
            if i < n and toks[i].kind == "op":
                op = toks[i].text
                i, v = self.value(toks, i + 1, f"a number on the right-hand side of constraint {row!r}")
                lo, up = _apply(op, v, lo, up, flipped=False)
            lo, up = lo - const, up - const
            if indicator is None:
                self.add_row(name, coefs, lo, up, line)
            else:
                k = len(self.ind)
                if name is None:
                    name = f"ind{k + 1}"
                    while name in self.row_index:
                        name += "_"
                elif name in self.row_index:
                    raise self.error(f"duplicate constraint name {name!r}", line)
                self.row_index[name] = -1 - k  # taken (indicator rows are not ordinary rows)
                self.ind.append((name, indicator[0], indicator[1], coefs, lo, up, line))

    def add_row(self, name: str | None, coefs: dict[int, float], lo: float, up: float,
                line: int) -> None:
        r = len(self.row_names)
        if name is None:
            name = f"c{r + 1}"
            while name in self.row_index:
                name += "_"
        elif name in self.row_index:
            raise self.error(f"duplicate constraint name {name!r}", line)
        if lo == math.inf or up == -math.inf:
            side = "lower bound +inf" if lo == math.inf else "upper bound -inf"
            raise self.error(f"constraint {name!r} has the {side}: no value can meet it (a number too large "
                             "for a float?)", line)
        self.row_index[name] = r
        self.row_names.append(name)
        self.row_lower.append(lo)
        self.row_upper.append(up)
        self.ent_rows.extend([r] * len(coefs))
        self.ent_cols.extend(coefs.keys())
        self.ent_vals.extend(coefs.values())

    def parse_bounds(self, toks: list[_Tok], start: int) -> None:
        i = 0
        n = len(toks)
        while i < n:
            t = toks[i]
            if t.is_value_start():
                i, v = self.value(toks, i, "a number (a bound)")
                op = self.tok(toks, i, "an operator")
                if op.kind != "op":
                    raise self.error(f"expected <=, >= or = after {v}, found {op.text!r}",
                                     op.line)
                var = self.tok(toks, i + 1, "a variable")
                if var.kind != "name":
                    raise self.error(f"expected a variable, found {var.text!r}", var.line)
                j = self.col(var.text)
                self.bound_line[j] = var.line
                self.bound(j, op.text, v, flipped=True)
                i += 2
                if i < n and toks[i].kind == "op":
                    op2 = toks[i].text
                    i, v = self.value(toks, i + 1, "a number")
                    self.bound(j, op2, v, flipped=False)
            elif t.kind == "name":
                j = self.col(t.text)
                self.bound_line[j] = t.line
                nxt = self.tok(toks, i + 1, f"a bound for {t.text!r}")
                if nxt.kind == "name" and nxt.text.lower() == "free":
                    self.lower[j], self.upper[j] = -math.inf, math.inf
                    i += 2
                elif nxt.kind == "op":
                    i, v = self.value(toks, i + 2, f"a number (a bound of {t.text!r})")
                    self.bound(j, nxt.text, v, flipped=False)
                else:
                    raise self.error(f"expected <=, >=, = or free after {t.text!r}, "
                                     f"found {nxt.text!r}", nxt.line)
            else:
                raise self.error(f"unexpected {t.text!r} in Bounds", t.line)

    def bound(self, j: int, op: str, v: float, flipped: bool) -> None:
        """``x op v`` (or ``v op x`` when flipped); remembers which sides were given."""
        if op == "=":
            self.lower[j] = self.upper[j] = v
        elif (op in ("<", "<=", "=<")) != flipped:
            self.upper[j] = v
        else:
            self.lower[j] = v

    def parse_generals(self, toks: list[_Tok], start: int) -> None:
        for t in toks:
            if t.kind != "name":
                raise self.error(f"expected a variable name, found {t.text!r}", t.line)
            self.integer.add(self.col(t.text))

    def parse_semis(self, toks: list[_Tok], start: int) -> None:
        for t in toks:
            if t.kind != "name":
                raise self.error(f"expected a variable name, found {t.text!r}", t.line)
            self.semi.add(self.col(t.text))

    def parse_sos(self, toks: list[_Tok], start: int) -> None:
        """``[name:] S1:: x:1 y:2 ...`` sets, over one or more lines."""
        words = [(w, t.line) for t in toks for w in re.findall(r"::|:|[^\s:]+", t.text)]
        n = len(words)

        def header(i: int) -> int:
            """How many words a set header at ``i`` takes (0: none there)."""
            def kind_at(k: int) -> bool:
                return k + 1 < n and words[k][0].upper() in ("S1", "S2") and words[k + 1][0] == "::"
            if kind_at(i):
                return 2
            return 4 if i + 1 < n and words[i + 1][0] == ":" and kind_at(i + 2) else 0

        i = 0
        while i < n:
            h = header(i)
            if not h:
                raise self.error(f"expected 'name: S1::' or 'S2::' to start a set, found "
                                 f"{words[i][0]!r}", words[i][1])
            name = words[i][0] if h == 4 else f"sos{len(self.sos_sets)}"
            kind, line = int(words[i + h - 2][0][1]), words[i][1]
            i += h
            members: SosMembers = []
            while i < n and not header(i):
                if not (i + 2 < n and words[i + 1][0] == ":" and words[i][0] not in (":", "::")):
                    raise self.error(f"expected 'variable:weight' in SOS {name!r}, found "
                                     f"{words[i][0]!r}", words[i][1])
                text = words[i + 2][0]
                if not DECIMAL.fullmatch(text):
                    raise self.error(f"bad SOS weight {text!r}{_why_not_number(text)}", words[i][1])
                weight = float(text)
                if weight in (math.inf, -math.inf):
                    raise self.error(f"SOS weight {text!r} of {words[i][0]!r} overflows to infinity; "
                                     "weights must be finite", words[i][1])
                members.append((self.col(words[i][0]), weight, words[i][1]))
                i += 3
            self.sos_sets.append((kind, name, line, members))

    def parse_binaries(self, toks: list[_Tok], start: int) -> None:
        for t in toks:
            if t.kind != "name":
                raise self.error(f"expected a variable name, found {t.text!r}", t.line)
            j = self.col(t.text)
            self.integer.add(j)
            self.binary.add(j)

    # -- assembly -------------------------------------------------------------------------------

    def finish(self) -> CanonicalForm:
        n, m = len(self.col_names), len(self.row_names)
        c = np.zeros(n)
        for j, v in self.costs.items():
            c[j] = v
        lower = np.zeros(n)
        upper = np.full(n, np.inf)
        for j in self.binary:
            upper[j] = 1.0  # binaries are [0, 1] unless Bounds says otherwise (HiGHS)
        for j, v in self.lower.items():
            lower[j] = v
        for j, v in self.upper.items():
            upper[j] = v
        refuse_impossible(self, lower, upper, self.col_names, self.bound_line, "variable")
        crossed = np.flatnonzero(lower > upper) if self.check_bounds else ()
        if len(crossed):
            j = int(crossed[0])
            raise self.error(
                f"variable {self.col_names[j]!r} has lower bound {format_number(lower[j])} above its upper "
                f"bound {format_number(upper[j])}" + (f" ({len(crossed)} such variables)" if len(crossed) > 1 else ""),
                self.bound_line.get(j))
        integrality = np.zeros(n, dtype=bool)
        integrality[list(self.integer)] = True
        rows = np.asarray(self.ent_rows, dtype=np.int64)
        cols = np.asarray(self.ent_cols, dtype=np.int64)
        vals = np.asarray(self.ent_vals, dtype=np.float64)
        A = sp.csr_array((vals, (rows, cols)), shape=(m, n))
        A.sum_duplicates()
        A.eliminate_zeros()
        A.sort_indices()
        Q = None
        if self.quad:
            a, b, v = (np.asarray(t) for t in zip(*self.quad))
            M = sp.coo_array((v.astype(np.float64), (a.astype(np.int64), b.astype(np.int64))),
                             shape=(n, n))
            Q = sp.csr_array(M + M.T)  # v x_a x_b is ½ xᵀQx with Q[a, b] = Q[b, a] = v
            Q.sum_duplicates()
            Q.eliminate_zeros()
            Q.sort_indices()
        semicontinuous = np.zeros(n, dtype=bool)
        semicontinuous[list(self.semi)] = True
        return CanonicalForm(
            sense=self.sense or Sense.MINIMIZE,
            c=c,
            offset=float(self.offset),
            A=A,
            row_lower=np.asarray(self.row_lower, dtype=np.float64),
            row_upper=np.asarray(self.row_upper, dtype=np.float64),
            col_lower=lower,
            col_upper=upper,
            integrality=integrality,
            col_names=Names.from_list(self.col_names),
            row_names=Names.from_list(self.row_names),
            name=self.name or model_name_from_path(self.path),
            Q=Q,
            semicontinuous=semicontinuous,
            sos=make_sos(self.sos_sets, self.error),
            indicators=self.indicators(n, integrality, lower, upper),
        )

    def indicators(self, n: int, integrality: np.ndarray, lower: np.ndarray, upper: np.ndarray
                   ) -> Indicators | None:
        if not self.ind:
            return None
        names, binary, active, coefs, lo, up, lines = zip(*self.ind)
        b = np.asarray(binary, dtype=np.int64)
        bad = np.flatnonzero(~(integrality[b] & (lower[b] >= 0) & (upper[b] <= 1)))
        if bad.size:
            k = int(bad[0])
            raise self.error(f"indicator variable {self.col_names[b[k]]!r} is not binary (list it "
                             "under Binaries)", lines[k])
        rows = np.repeat(np.arange(len(coefs)), [len(d) for d in coefs])
        cols = np.fromiter((j for d in coefs for j in d), dtype=np.int64, count=rows.size)
        vals = np.fromiter((v for d in coefs for v in d.values()), dtype=np.float64, count=rows.size)
        A = sp.csr_array((vals, (rows, cols)), shape=(len(coefs), n))
        A.sum_duplicates()
        A.eliminate_zeros()
        A.sort_indices()
        return Indicators(binary=b, active=np.asarray(active, dtype=np.int64), A=A,
                          lower=np.asarray(lo, dtype=np.float64), upper=np.asarray(up, dtype=np.float64),
                          names=Names.from_list(list(names)))


def _apply(op: str, v: float, lo: float, up: float, flipped: bool) -> tuple[float, float]:
    """Bounds after ``expr op v`` (or ``v op expr`` when flipped)."""
    if op == "=":
        return v, v
    less = op in ("<", "<=", "=<")
    if flipped:
        less = not less
    return (lo, v) if less else (v, up)


def read_lp(path: str | Path, check_bounds: bool = False) -> CanonicalForm:
    """Read a CPLEX LP file (``.gz`` too); malformed input raises InputError.

    A column whose lower bound exceeds its upper bound is read as written (as HiGHS does: the
    model is infeasible); with ``check_bounds`` it is refused, naming the column and its last
    bound line (``read_model_file`` does this: a ``Model`` refuses such bounds)."""
    path = Path(path)
    with open_text(path) as f:
        return _LpReader(path, check_bounds).read(f)


# ---------------------------------------------------------------------------------------------
# writing

_LP_RESERVED = {
    "min", "max", "minimize", "minimise", "minimum", "maximize", "maximise", "maximum",
    "st", "s.t.", "st.", "subject", "such", "bound", "bounds", "general", "generals", "gen",
    "integer", "integers", "binary", "binaries", "bin", "end", "free", "inf", "infinity",
    "semi", "semis", "semi-continuous", "sos", "sos1", "sos2", "genconstrs", "pwlobj",
}
# CPLEX's name rule: letters, digits and !"#$%&(),.;?@_'{}~ ; not starting with a digit or a
# period, and not "e"/"E" alone or followed by a digit or another e (read as an exponent).
_LP_NAME = re.compile(r"(?![0-9.])(?![eE](?:[0-9eE]|$))[A-Za-z0-9!\"#$%&(),.;?@_'{}~]+")


def _lp_fix(name: str) -> str:
    name = name.replace("[", "(").replace("]", ")")
    name = re.sub(r"[^A-Za-z0-9!\"#$%&(),.;?@_'{}~]", "_", name)
    if not _LP_NAME.fullmatch(name):
        name = "_" + name
    return name


def _lp_names(names: list[str], fallback: str) -> list[str]:
    names = [("_" + s) if s.lower() in _LP_RESERVED else s for s in names]
    return unique_names(names, _LP_NAME, _lp_fix, fallback)[0]


def _terms(coefs, names: list[str]) -> list[str]:
    out = []
    for j, v in coefs:
        sign = "-" if math.copysign(1.0, v) < 0 else "+"
        a = abs(v)
        out.append(f"{sign} {names[j]}" if a == 1 else f"{sign} {format_number(a)} {names[j]}")
    return out


def _wrap(head: str, parts: list[str], width: int = 90) -> list[str]:
    """Split a long expression over lines. Expressions break before a sign, lists before a
    name that is never a keyword, so no continuation line looks like a section header."""
    lines, cur = [], head
    for p in parts:
        if len(cur) + 1 + len(p) > width and cur.strip():
            lines.append(cur)
            cur = "   " + p
        else:
            cur = f"{cur} {p}" if cur else p
    lines.append(cur)
    return lines


def _lp_value(v: float) -> str:
    if math.isinf(v):
        return "+inf" if v > 0 else "-inf"
    return format_number(v)


def write_lp(form: CanonicalForm, path: str | Path) -> None:
    """Write ``form`` as a CPLEX LP file that HiGHS and CPLEX read.

    Every column appears in the objective (zero costs too) so column order is kept. A ranged
    row (finite ``lo < hi``) becomes two rows ``<name>_lo: expr >= lo`` and
    ``<name>_hi: expr <= hi`` because CPLEX LP has no ranged rows (indicator rows too, each
    half with the same indicator). Q is written as ``[ ... ] / 2``.
    """
    path = Path(path)
    check_indicator_binaries(form)
    m, n = form.num_rows, form.num_cols
    cols = _lp_names(list(form.col_names) if len(form.col_names) == n
                     else [f"x{j}" for j in range(n)], "x")
    rows = list(form.row_names) if len(form.row_names) == m else [f"c{i + 1}" for i in range(m)]
    lo = np.asarray(form.row_lower, dtype=np.float64)
    up = np.asarray(form.row_upper, dtype=np.float64)
    A = form.A.tocsr()
    ind = form.indicators
    if ind is not None:
        # indicator rows follow the ordinary ones, each with "b = 1 ->" in front
        k = ind.count
        rows += list(ind.names) if len(ind.names) == k else [f"ind{i + 1}" for i in range(k)]
        lo = np.concatenate([lo, np.asarray(ind.lower, dtype=np.float64)])
        up = np.concatenate([up, np.asarray(ind.upper, dtype=np.float64)])
        A = sp.vstack([sp.csr_array(A), sp.csr_array(ind.A)], format="csr")
        binary = np.asarray(ind.binary).tolist()
        active = np.asarray(ind.active).tolist()
        m += k
    ranged = (lo != up) & np.isfinite(lo) & np.isfinite(up)
    # name both halves of a ranged row before making names valid, so clashes get resolved
    row_entries: list[tuple[int, str]] = []
    for i in range(m):
        if ranged[i]:
            row_entries += [(i, "lo"), (i, "hi")]
        else:
            row_entries.append((i, ""))
    raw = [rows[i] + ("_" + part if part else "") for i, part in row_entries]
    row_out = _lp_names(raw, "c")
    obj = "obj"
    taken = set(row_out) | set(cols)
    while obj in taken:
        obj = "_" + obj

    out = ["\\ written by optmodel"]
    name = re.sub(r"\s+", "_", form.name.strip()) if form.name else ""
    if name:
        out.append(f"\\ Problem name: {name}")
    out.append("Maximize" if form.sense is Sense.MAXIMIZE else "Minimize")
    c = np.asarray(form.c, dtype=np.float64).tolist()
    parts = _terms(enumerate(c), cols)
    if form.Q is not None:
        # ½ xᵀQx = [ Σ Q_ii x_i^2 + Σ_{i<j} 2 Q_ij x_i x_j ] / 2 (doubling and halving are
        # exact); "x ^2" as CPLEX writes it, since SCIP misreads "x ^ 2"
        tri = sp.coo_array(sp.triu(form.Q, format="coo"))
        keep = tri.data != 0
        r, q, v = tri.row[keep], tri.col[keep], tri.data[keep]
        order = np.lexsort((q, r))
        r, q, v = r[order].tolist(), q[order].tolist(), np.where(r == q, v, 2 * v)[order].tolist()
        labels = [f"{cols[a]} ^2" if a == b else f"{cols[a]} * {cols[b]}" for a, b in zip(r, q)]
        parts += ["+ [", *_terms(zip(range(len(v)), v), labels), "] / 2"]
    if form.offset != 0 or not parts:
        # the constant goes last: SCIP refuses one before a quadratic bracket
        sign = "-" if form.offset < 0 else "+"
        parts.append(f"{sign} {format_number(abs(form.offset))}")
    out += _wrap(f" {obj}:", parts)

    out.append("Subject To")
    A.sort_indices()
    indptr, indices, data = A.indptr, A.indices.tolist(), A.data.tolist()
    for (i, part), rname in zip(row_entries, row_out):
        a, b = indptr[i], indptr[i + 1]
        terms = _terms(zip(indices[a:b], data[a:b]), cols)
        if not terms:
            terms = [f"0 {cols[0]}"] if n else ["0"]
        li, ui = float(lo[i]), float(up[i])
        if part == "lo":
            rhs = f">= {_lp_value(li)}"
        elif part == "hi":
            rhs = f"<= {_lp_value(ui)}"
        elif li == ui:
            rhs = f"= {_lp_value(li)}"
        elif li == -math.inf:
            rhs = f"<= {_lp_value(ui)}"
        elif ui == math.inf:
            rhs = f">= {_lp_value(li)}"
        else:
            raise ModelError(f"row {rows[i]!r} has bounds [{li}, {ui}], which LP cannot hold")
        head = f" {rname}:"
        if i >= form.num_rows:
            head += f" {cols[binary[i - form.num_rows]]} = {active[i - form.num_rows]} ->"
        out += _wrap(head, [*terms, rhs])

    integ = np.asarray(form.integrality, dtype=bool)
    bounds = []
    for j, (lj, uj) in enumerate(zip(np.asarray(form.col_lower, dtype=np.float64).tolist(),
                                     np.asarray(form.col_upper, dtype=np.float64).tolist())):
        if lj == 0 and uj == math.inf:
            continue
        name = cols[j]
        if lj == uj:
            bounds.append(f" {name} = {_lp_value(lj)}")
        elif lj == -math.inf and uj == math.inf:
            bounds.append(f" {name} free")
        elif uj == math.inf:
            bounds.append(f" {name} >= {_lp_value(lj)}")
        else:
            bounds.append(f" {_lp_value(lj)} <= {name} <= {_lp_value(uj)}")
    if bounds:
        out.append("Bounds")
        out += bounds
    ints = [cols[j] for j in np.flatnonzero(integ)]
    if ints:
        out.append("Generals")
        out += _wrap("", ints)
    if form.semicontinuous is not None:
        out.append("Semi-continuous")
        out += _wrap("", [cols[j] for j in np.flatnonzero(form.semicontinuous)])
    if form.sos:
        out.append("SOS")
        # a set's name only ever stands before its colon, so keywords are fine here
        names = unique_names([s.name or f"sos{k}" for k, s in enumerate(form.sos)], _LP_NAME,
                             _lp_fix, "sos")[0]
        for s, sname in zip(form.sos, names):
            members = [f"{cols[j]}:{format_number(w)}" for j, w in
                       zip(np.asarray(s.columns).tolist(), np.asarray(s.weights).tolist())]
            out += _wrap(f" {sname}: S{int(s.kind)}::", members)
    out.append("End")
    _write_lines(path, out)
