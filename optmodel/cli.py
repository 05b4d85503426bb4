"""``python -m optmodel``: parse arguments, run, print. Solver libraries load only when used."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shlex
import sys
import traceback
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

from optmodel.backend import Capability, SolveOptions
from optmodel.errors import InputError, OptmodelError, UsageError
from optmodel.numbers import strict_float, strict_int
from optmodel.problem import Report, check_output_path

EXIT_OK, EXIT_BAD_INPUT, EXIT_NOT_SOLVED = 0, 2, 3

USAGE = """usage: \
python -m optmodel COMMAND ...

commands:
  solve PROBLEM|FILE|SPEC.py    solve a built-in problem (see `list`), an MPS/LP file or a Python spec
  explain PROBLEM|FILE|SPEC.py  the formulation, its structure, and which backends can solve it
  bench TARGET...               backends on instance sets: isolated runs, checked answers, a report
  bench PROBLEM --sizes         the same problem through several backends at growing sizes
  challenge seriation           run the Tick 1 challenge: score submitted ordering programs
  list                          problems, and backends with versions and capabilities

`python -m optmodel solve PROBLEM --help` lists a problem's own options; `solve SPEC.py --help`
says what a Python spec file must define.
"""

SPEC_CONVENTION = """\
A Python spec file states a model with optmodel and defines either
  model = ...        an optmodel Model at module level, or
  def build(): ...   a function, called once without arguments, that returns one.
The file runs once, as a module named after the file (never "__main__"), so code under
`if __name__ == "__main__":` -- solving it yourself, printing results -- does not run here.
What the file prints goes to stderr; its folder is on sys.path, as for a script. A mistake in
it (a syntax error, a bad index, an optmodel error raised by its own call) is shown as a
traceback of the file's own lines, ending with FILE:LINE and the error, and exits with 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is an error like any other: one line, exit 2, and with
    --json one JSON object on stdout (argparse itself would print the usage and exit)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # every type=float / type=int option reads numbers by the files' strict grammar (no 1_000, nan)
        self.register("type", float, strict_float)
        self.register("type", int, strict_int)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _parser(prog: str, description: str | None = None, raw: bool = False) -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter if raw else argparse.HelpFormatter
    return _Parser(prog=prog, description=description, formatter_class=formatter)


def _problems() -> dict[str, Any]:
    from optmodel.problems import discover

    return discover()


def backend_choices(needs: frozenset[Capability]) -> list[str]:
    """The installed backends with a usable sub-solver that declares every capability in ``needs``,
    in the order `solve` tries them when no backend is named (``dispatch.PREFERENCE``, then the rest)."""
    from optmodel.dispatch import PREFERENCE, backend_classes

    classes = backend_classes()
    found = []
    for name in (*[n for n in PREFERENCE if n in classes], *sorted(set(classes) - set(PREFERENCE))):
        cls = classes[name]
        if cls.unavailable_reason() is not None:
            continue
        usable = set(cls().available_subsolvers())
        if any(needs <= caps for sub, caps in cls.subsolvers.items() if sub in usable):
            found.append(name)
    return found


def backend_help(needs: frozenset[Capability] | None, default: str | None = None,
                 aliases: dict[str, str] | None = None, note: str = "", where: str | None = "PROBLEM") -> str:
    """``--backend``'s help, generated from the backends' declared capabilities: only names that
    take models with ``needs`` (a hand-written example list goes stale, or names a refused backend)."""
    if needs is None:
        return (f"a backend from `python -m optmodel list`; `python -m optmodel explain {where}` says which "
                "take the model (default: the first installed one that can)")
    names = backend_choices(needs)
    if not names:
        return f"none installed can take these models (they need {', '.join(sorted(c.value for c in needs))})"
    shown = names + [f"{alias} (= {target})" for alias, target in (aliases or {}).items()
                     if target.partition(":")[0] in names]
    which = (f"`python -m optmodel explain {where}` says which take the model" if where
             else "`python -m optmodel list` shows them")
    listed = f"one of {', '.join(shown)}" if len(shown) > 1 else shown[0]
    text = f"{listed}; NAME:SUB picks a sub-solver ({which}); default: {default or names[0]}"
    return f"{text}. {note}" if note else text


def _common_options(parser: argparse.ArgumentParser, lp_backends: bool = True, backends: str = "") -> None:
    g = parser.add_argument_group("solver options")
    g.add_argument("--backend", metavar="NAME[:SUB]", help=(backends or backend_help(None)).replace("%", "%%"))
    g.add_argument("--time-limit", type=float, metavar="S", help="seconds; the best solution found is returned")
    if lp_backends:
        g.add_argument("--mip-gap", type=float, metavar="G", help="relative MIP gap at which to stop")
        g.add_argument("--threads", type=int, metavar="N", help="solver threads, 1 to 1024 (SCIP: at most 64)")
    g.add_argument("--verbose", action="store_true", help="show the solver's log (on stderr)")
    g.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _options(args: argparse.Namespace) -> SolveOptions:
    return SolveOptions(
        time_limit=args.time_limit,
        mip_gap=getattr(args, "mip_gap", None),
        threads=getattr(args, "threads", None),
        verbose=args.verbose,
    )


def _model_file_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--write", metavar="OUT", help="also write the model (.mps or .lp), e.g. to convert")
    parser.add_argument("--values", action="store_true", help="include variable values in the output")


def _solve_file(argv: Sequence[str]) -> tuple[Report, bool]:
    parser = _parser("python -m optmodel solve",
                     "Solve an LP/MIP/QP from an MPS (fixed or free, QPS, optionally .gz) or CPLEX LP file.")
    parser.add_argument("file", metavar="FILE", help="model file: .mps, .qps, .lp, optionally .gz")
    _model_file_options(parser)
    _common_options(parser, backends=backend_help(frozenset({Capability.LP}), where="FILE"))
    args = parser.parse_args(argv)
    from optmodel.formats import read_model_file, write_model_file
    from optmodel.model import Model

    form = read_model_file(args.file, check_bounds=True)
    if args.write:
        write_model_file(form, args.write)
    model, x, _ = Model.from_canonical(form)
    sol = model.solve(args.backend, options=_options(args))
    rep = Report(sol)
    rep.answer["model"] = {"name": form.name, "rows": form.num_rows, "columns": form.num_cols, "nonzeros": form.nnz}
    if args.values and sol.has_values:
        rep.answer["values"] = dict(zip(form.col_names, sol[x].tolist()))
    _wrote(rep, args.write)
    return rep, args.json


def _wrote(rep: Report, *paths: str | None) -> None:
    """Say what a command wrote besides its output: ``files`` in the JSON, a line otherwise."""
    written = [str(p) for p in paths if p]
    if written:
        rep.answer["files"] = [*rep.answer.get("files", []), *written]
        rep.lines += [f"wrote {p}" for p in written]


def _solve_spec(argv: Sequence[str]) -> tuple[Report, bool]:
    parser = _parser("python -m optmodel solve", "Solve the model that a Python spec file states.\n\n"
                     + SPEC_CONVENTION, raw=True)
    parser.add_argument("spec", metavar="SPEC.py", help="a Python file defining `model` or `build()`")
    _model_file_options(parser)
    _common_options(parser, backends=backend_help(None, where="SPEC.py"))
    args = parser.parse_args(argv)
    spec = Path(args.spec)
    with _spec_imports(spec):
        model = load_spec(spec)
        if args.write:
            if not model.is_linear:
                raise InputError("--write takes LP/MIP/QP models (an MPS or LP file has no other kinds)", spec)
            from optmodel.formats import write_model_file

            write_model_file(model.canonical(), args.write)
        with _user_code(spec, loading=False):  # its lazy oracles and callbacks run inside the solve
            sol = model.solve(args.backend, options=_options(args))
    rep = Report(sol)
    rep.answer["model"] = {"name": model.name, "rows": model.num_rows, "columns": model.num_vars,
                           "nonzeros": model.canonical().nnz if model.is_linear else None}
    if args.values and sol.has_values:
        rep.answer["values"] = {var.name: _values(sol, var) for var in model.variables}
    _wrote(rep, args.write)
    return rep, args.json


def _values(sol: Any, var: Any) -> Any:
    """A variable's values for JSON: ``{key: value}`` for a keyed one, else nested lists (or a number)."""
    if var.keys is not None:
        return {str(k): v for k, v in sol.by_key(var).items()}
    value = sol[var]
    return value.tolist() if hasattr(value, "tolist") else value


def _has_instances(problem: Any) -> bool:
    """Whether `explain PROBLEM` works: the problem generates instances."""
    from optmodel.problem import Problem

    return type(problem).instance is not Problem.instance


def _solve_problem(problem: Any, argv: Sequence[str]) -> tuple[Report, bool]:
    parser = _parser(f"python -m optmodel solve {problem.name}", problem.summary)
    problem.add_arguments(parser)
    backends = backend_help(problem.needs, problem.default_backend, problem.backend_aliases,
                            problem.backend_note,
                            where=problem.name if _has_instances(problem) else None)
    _common_options(parser, problem.uses_lp_backends, backends)
    args = parser.parse_args(argv)
    return problem.run(args, args.backend, _options(args)), args.json


def cmd_solve(argv: Sequence[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        names = "\n".join(f"  {p.name:<16} {p.summary}" for p in _problems().values())
        spec = "\n".join(f"  {line}" for line in SPEC_CONVENTION.splitlines())
        print(f"usage: python -m optmodel solve PROBLEM|FILE|SPEC.py [options]\n\nproblems:\n{names}\n"
              "  FILE             an .mps / .qps / .lp model file (optionally .gz)\n"
              f"  SPEC.py          a Python spec file:\n\n{spec}\n\n"
              "`python -m optmodel solve PROBLEM --help` (or FILE, SPEC.py) shows the options.")
        return EXIT_OK
    target, rest = argv[0], list(argv[1:])
    from optmodel.problems import get

    problem = None if target.startswith("-") or Path(target).suffix else get(target)
    if problem is not None:
        rep, as_json = _solve_problem(problem, rest)
    elif target.startswith("-"):
        raise UsageError("name a problem, a model file or a spec first: python -m optmodel solve PROBLEM|FILE ...")
    elif Path(target).suffix == ".py":
        rep, as_json = _solve_spec([target, *rest])
    elif Path(target).suffix or Path(target).exists():
        rep, as_json = _solve_file([target, *rest])
    else:
        names = ", ".join(_problems())
        raise OptmodelError(f"unknown problem {target!r}; problems: {names} (or give an .mps/.lp file or a .py spec)")
    _print_report(rep, as_json)
    sol = rep.solution
    solved = sol is None or sol.status.value not in ("error", "unverified")
    return EXIT_OK if solved else EXIT_NOT_SOLVED


def _print_report(rep: Report, as_json: bool) -> None:
    if as_json:
        emit_json(rep.to_dict())
        return
    sol = rep.solution
    if sol is not None:
        from optmodel.problems import number

        obj = "" if sol.objective is None else f"  objective {number(sol.objective)}"
        backend = f"{sol.backend} {sol.backend_version}".strip()
        print(f"status {sol.status.value}{obj}  [{backend}, "
              f"build {sol.build_seconds:.3f}s, solve {sol.solve_seconds:.3f}s]")
        if sol.gap is not None and sol.bound is not None and sol.status.value != "optimal":
            print(f"bound {number(sol.bound)}  gap {sol.gap:.3g}")
        if sol.message:
            print(sol.message)
        if sol.iis:
            print("irreducible infeasible subsystem: " + ", ".join(sol.iis))
        from optmodel.explain import certificate_lines

        for line in certificate_lines(sol):
            print(line)
    for line in rep.lines:
        print(line)


def cmd_list(argv: Sequence[str]) -> int:
    parser = _parser("python -m optmodel list", "Problems and backends.")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    from optmodel.dispatch import backend_classes

    backends = []
    for name, cls in backend_classes().items():
        reason = cls.unavailable_reason()
        subs = {} if reason else {s: sorted(c.value for c in caps) for s, caps in cls.subsolvers.items()}
        if not reason:
            usable = cls().available_subsolvers()
            subs = {s: c for s, c in subs.items() if s in usable}
        backends.append({
            "name": name, "available": reason is None, "reason": reason, "version": cls.version(),
            "subsolvers": subs, "capabilities": sorted(c.value for c in cls.all_capabilities()),
            "description": cls.description,
        })
    problems = [{"name": p.name, "summary": p.summary} for p in _problems().values()]
    if args.json:
        emit_json({"problems": problems, "backends": backends})
        return EXIT_OK
    # Column widths from the longest entry, so that no name runs into the next column.
    pw = max((len(p["name"]) for p in problems), default=0)
    print("problems:")
    for p in problems:
        print(f"  {p['name']:<{pw}}  {p['summary']}")
    nw = max((len(b["name"]) for b in backends), default=0)
    vw = max((len(b["version"] or "-") for b in backends), default=0)
    sw = max((len(f"{b['name']}:{s}") for b in backends for s in b["subsolvers"]), default=0)
    print("\nbackends:")
    for b in backends:
        if b["available"]:
            print(f"  {b['name']:<{nw}}  {b['version'] or '-':<{vw}}  {b['description']}")
            for sub, caps in b["subsolvers"].items():
                print(f"      {b['name'] + ':' + sub:<{sw}}  {', '.join(caps)}")
        else:
            print(f"  {b['name']:<{nw}}  {'-':<{vw}}  unavailable: {b['reason']}")
    return EXIT_OK


class SpecError(InputError):
    """A mistake in a Python spec file: its own traceback lines, the deepest of them named as file and line."""

    def __init__(self, message: str, path: str | None, line: int | None, trace: str):
        super().__init__(message, path, line)
        self.trace = trace  # printed on stderr above the one-line error


@contextlib.contextmanager
def _spec_imports(path: Path) -> Iterator[None]:
    """The spec's folder on sys.path while it loads and solves (it may import modules beside it),
    as when it runs as a script; sys.argv as for ``python SPEC.py``; its prints on stderr."""
    folder = str(path.resolve().parent)
    saved_argv = sys.argv
    sys.path.insert(0, folder)
    sys.argv = [str(path)]
    # stdout is optmodel's report (one JSON object): the spec's prints go to stderr, through its own
    # descriptor, because a solver that captures fd 2 (pyomo's TeeStream) would otherwise be fed
    # its own output and deadlock
    try:
        err: Any = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, encoding="utf-8", errors="replace")
    except (AttributeError, OSError, ValueError):  # a stderr without a descriptor (captured in tests)
        err = contextlib.nullcontext(sys.stderr)
    try:
        with err as stream, contextlib.redirect_stdout(stream):
            yield
    finally:
        sys.argv = saved_argv
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


@cache
def _library_roots() -> tuple[str, ...]:
    """Folders whose code is not the user's: Python's own, installed packages, and optmodel."""
    import sysconfig

    import optmodel
    import optmodel.backends
    import optmodel.problems

    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    # optmodel.__path__[0]: the package (a clone imported from its parent also lists the clone root)
    roots |= {optmodel.__path__[0], *optmodel.backends.__path__, *optmodel.problems.__path__}
    return tuple(os.path.join(os.path.realpath(r), "") for r in roots)


def _is_user_file(filename: str, spec: Path) -> bool:
    if filename.startswith("<"):  # <frozen runpy>, <string>, ...
        return False
    real = os.path.realpath(filename)
    return real == os.path.realpath(spec) or not real.startswith(_library_roots())


@contextlib.contextmanager
def _user_code(spec: Path, loading: bool = True) -> Iterator[None]:
    """Turn an exception raised by the user's code into a ``SpecError`` that shows only the user's
    traceback frames and names the deepest of them. While ``loading``, every exception is the
    spec's (an optmodel error included: its own call caused it); later (the solve), only those
    raised through a frame of the user's code: optmodel's own errors stay one line."""
    try:
        yield
    except (Exception, SystemExit) as err:
        if isinstance(err, SyntaxError) and err.filename and _is_user_file(err.filename, spec):
            lines = traceback.format_exception_only(type(err), err)
            raise SpecError(f"SyntaxError: {err.msg}", err.filename, err.lineno,
                            "".join(lines[:-1]).rstrip("\n")) from None
        frames = [f for f in traceback.extract_tb(err.__traceback__) if _is_user_file(f.filename, spec)]
        if not frames:
            if loading:
                raise SpecError(_error_text(err), str(spec), None, "") from None
            raise
        where = frames[-1]
        trace = "Traceback (most recent call last):\n" + "".join(
            traceback.format_list(frames)).rstrip("\n")
        raise SpecError(_error_text(err), where.filename, where.lineno, trace) from None


def _error_text(err: BaseException) -> str:
    if isinstance(err, SystemExit):
        return f"the spec called sys.exit({'' if err.code is None else repr(err.code)}) while optmodel ran it"
    if isinstance(err, OptmodelError):
        return str(err)
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


def load_spec(path: str | Path) -> Any:
    """The model a Python spec file states (see ``SPEC_CONVENTION``): its global ``model``, else
    what its ``build()`` returns. The file runs once, as a module named after it, not ``__main__``."""
    import importlib.util

    from optmodel.model import Model

    spec = Path(path)
    if not spec.is_file():
        raise InputError("a directory, not a spec file" if spec.is_dir() else "no such file", spec)
    stem = spec.name.removesuffix(".py")
    name = stem if stem.isidentifier() and stem not in sys.modules else "optmodel_spec"
    found = importlib.util.spec_from_file_location(name, spec)
    if found is None or found.loader is None:
        raise InputError("cannot be loaded as a Python module", spec)
    module = importlib.util.module_from_spec(found)
    with _user_code(spec):
        code = compile(spec.read_bytes(), str(spec), "exec", dont_inherit=True)
        sys.modules[name] = module  # dataclasses, pickling and the spec's own imports look it up here
        exec(code, module.__dict__)  # compiled above, so that a syntax error is the spec's, not importlib's
    namespace = module.__dict__
    model = namespace.get("model")
    if model is None and "build" in namespace:
        if not callable(namespace["build"]):
            raise InputError(f"`build` is a {type(namespace['build']).__name__}, not a function", spec)
        with _user_code(spec):
            model = namespace["build"]()
        if not isinstance(model, Model):
            raise InputError(f"build() returned {_kind(model)}, not an optmodel Model", spec)
    if not isinstance(model, Model):
        if "model" in namespace:
            raise InputError(f"`model` is {_kind(model)}, not an optmodel Model", spec)
        others = [k for k, v in namespace.items() if isinstance(v, Model)]
        hint = f" (it has a Model named `{others[0]}`: call it `model`)" if len(others) == 1 else ""
        raise InputError("define a Model named `model`, or a function `build()` that returns one" + hint
                         + "; see `python -m optmodel solve --help`", spec)
    return model


def _kind(value: Any) -> str:
    return "None" if value is None else f"a {type(value).__name__}"


def cmd_explain(argv: Sequence[str]) -> int:
    parser = _parser("python -m optmodel explain",
                     "Show a problem's formulation, its size and structure, which backends can solve it "
                     "and why the others cannot, and the adjacent formulations optmodel knows.\n\n"
                     + SPEC_CONVENTION, raw=True)
    parser.add_argument("target", metavar="PROBLEM|FILE|SPEC.py",
                        help="a problem name (see `list`), an .mps/.lp file, or a Python spec file (below)")
    parser.add_argument("--size", type=int, help="size of the generated instance for a problem")
    parser.add_argument("--latex", action="store_true", help="print the formulation as LaTeX")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    from optmodel.explain import explain_model

    problems = _problems()
    target = Path(args.target)
    if args.target in problems:
        problem = problems[args.target]
        model = problem.instance(args.size or problem.example_size)
        exp = explain_model(model, title=f"{problem.name}: {problem.summary}", adjacent=problem.adjacent,
                            math=problem.formulation)
        exp.sizes["instance"] = f"generated, {problem.sizes_help} = {args.size or problem.example_size}"
    elif target.suffix == ".py":
        with _spec_imports(target):
            exp = explain_model(load_spec(target), title=f"{target.name}")
    elif target.suffix or target.exists():
        from optmodel.formats import read_model_file
        from optmodel.model import Model

        model = Model.from_canonical(read_model_file(target, check_bounds=True))[0]
        exp = explain_model(model, title=f"{target.name}")
    else:
        raise OptmodelError(f"unknown problem {args.target!r}; problems: {', '.join(problems)}")
    if args.json:
        emit_json(exp.to_dict())
    elif args.latex:
        print(exp.latex)
    else:
        print(exp.text())
    return EXIT_OK


def _run_options(parser: argparse.ArgumentParser, default_store: str, report: str, retry_example: str,
                 results_note: str = "") -> None:
    """What every command on the benchmark runner takes: limits, where runs go, where rows are kept."""
    parser.add_argument("--memory", type=float, default=4096, metavar="MB", help="memory limit per run (default 4096)")
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="runs at a time on this machine")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler, e.g. tcp://host:8786")
    parser.add_argument("--results", metavar="FILE", help=f"the results store (JSONL; default REPORT/results.jsonl "
                        f"or {default_store}){results_note}")
    parser.add_argument("--report", metavar="DIR", help=f"write {report} here")
    parser.add_argument("--retry", metavar="STATUSES", default="",
                        help=f"run again the stored runs with these statuses, e.g. {retry_example}")


def _store_path(args: argparse.Namespace, default: str) -> Path:
    _at_least(("--workers", args.workers, 1), ("--memory", args.memory, 1))
    if args.results:
        return Path(args.results)
    return Path(args.report) / "results.jsonl" if args.report else Path(default)


def _statuses(text: str) -> frozenset[str]:
    return frozenset(s.strip() for s in text.split(",") if s.strip())


def _at_least(*checks: tuple[str, float | None, float]) -> None:
    for flag, value, least in checks:
        if value is not None and not value >= least:
            raise OptmodelError(f"{flag} must be at least {least:g}, got {value:g}")


BENCH_DESCRIPTION = """\
Benchmark backends on a set of instances, the way solver benchmarks are run: every run in its own
process under a time limit (plus --grace, then killed) and a memory limit, every answer checked
against the known optimum (optimal.csv beside the files, or --optima) and the other backends'
certified answers; disagreements are flagged WRONG. Rows are appended to the results store as they
finish: re-running the same command skips finished runs, and Ctrl-C keeps them.

TARGETs: model files (.mps .qps .lp, optionally .gz), TSPLIB .tsp, DIMACS .gr, folders of them,
globs, or PROBLEM:SIZE for a generated instance. On a .tsp, highs and scip mean the exact MIP with
lazy subtour cuts on that solver; on a .gr, the shortest path from vertex 1 to the last vertex.

With --sizes and one PROBLEM: the scaling sweep instead (in one process, warm, medians of
--repeat runs of each size).

Summary: solved (optimal, certified where duals exist, and not WRONG), the shifted geometric
mean of times (shift 10 s; unsolved runs count at the time limit), a Dolan-More performance profile.
Cluster: start `dask scheduler` and `dask worker tcp://HOST:8786 --nthreads 1` on each machine, then
pass --scheduler tcp://HOST:8786 (README: "Benchmarking on a cluster").
"""


def cmd_bench(argv: Sequence[str]) -> int:
    parser = _parser("python -m optmodel bench", BENCH_DESCRIPTION, raw=True)
    parser.add_argument("targets", nargs="+", metavar="TARGET", help="files, folders, globs, PROBLEM:SIZE")
    parser.add_argument("--backends", required=True, help="comma-separated, e.g. highs,scip,ortools:scip")
    parser.add_argument("--time-limit", type=float, metavar="S", help="per run (default 60; sweep: none)")
    parser.add_argument("--seeds", default="0", metavar="LIST",
                        help="comma-separated solver seeds (and generator seeds of PROBLEM:SIZE), default 0")
    parser.add_argument("--repeat", type=int, metavar="N", help="runs per instance, backend and seed "
                        "(default 1; sweep: 3 timed runs after a warm-up)")
    parser.add_argument("--mip-gap", type=float, default=1e-4, metavar="G", help="relative gap limit (default 1e-4)")
    parser.add_argument("--threads", type=int, default=1, metavar="N", help="solver threads per run (default 1)")
    parser.add_argument("--grace", type=float, default=10, metavar="S",
                        help="seconds past the time limit before a run is killed (default 10)")
    parser.add_argument("--optima", metavar="CSV", help="known optima: name,optimal_objective (adds to optimal.csv)")
    _run_options(parser, "optmodel-bench.jsonl", "report.md, report.html and profile.png", "crashed,killed,error",
                 "; the sweep writes its rows here as JSON")
    parser.add_argument("--sizes", help="the scaling sweep: comma-separated sizes of one PROBLEM, e.g. 10,20,40")
    parser.add_argument("--plot", metavar="FILE.png", help="sweep: log-log plot of seconds against size")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends:
        raise OptmodelError("--backends names no backend")
    if args.repeat is not None and args.repeat < 1:
        raise OptmodelError("--repeat must be at least 1")
    if args.sizes is not None:
        return _bench_sweep(args, backends)
    from optmodel.benchmark import instances, report, runner
    from optmodel.benchmark.store import Store

    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise OptmodelError(f"--seeds must be integers separated by commas, got {args.seeds!r}") from None
    _at_least(("--threads", args.threads, 1), ("--grace", args.grace, 0), ("--time-limit", args.time_limit, 0),
              ("--mip-gap", args.mip_gap, 0))
    from optmodel.dispatch import get_backend

    with contextlib.redirect_stdout(sys.stderr):  # what a plugin prints on import is not our output
        for label in backends:  # an unknown or missing backend is a mistake in the command, not a row
            get_backend(label)
    found = instances.collect(args.targets, args.optima)
    settings = runner.Settings(time_limit=60.0 if args.time_limit is None else args.time_limit,
                               mip_gap=args.mip_gap, threads=args.threads, memory_mb=args.memory, grace=args.grace)
    store_path, retry = _store_path(args, "optmodel-bench.jsonl"), _statuses(args.retry)
    store = Store(store_path)
    runs = runner.plan(found, backends, seeds, args.repeat or 1)
    complete = runner.run_benchmark(runs, settings, store, workers=args.workers, scheduler=args.scheduler,
                                    retry=retry)
    planned = {r.key(settings): k for k, r in enumerate(runs)}  # the command's order, not the finishing order
    rows = report.check(sorted((row for row in store.rows if row["run"] in planned), key=lambda r: planned[r["run"]]))
    written = []
    if args.report:
        command = "python -m optmodel bench " + shlex.join(argv)
        written = report.write_report(rows, args.report, "optmodel bench", command, runner.machine())
    if args.json:
        out = report.to_json(rows)
        out.update(complete=complete, results=str(store_path), files=[str(p) for p in written])
        emit_json(out)
    else:
        print(report.terminal_table(rows, color=sys.stdout.isatty()))
        print(f"\n{len(rows)} of {len(runs)} runs in {store_path}" + ("" if complete else " (interrupted)"))
        for path in written:
            print(f"wrote {path}")
    return EXIT_OK if complete else 130


def _bench_sweep(args: argparse.Namespace, backends: list[str]) -> int:
    from optmodel.benchmark import sweep

    problems = _problems()
    if len(args.targets) != 1 or args.targets[0] not in problems:
        raise OptmodelError(f"--sizes sweeps one problem; problems: {', '.join(problems)}")
    for path in (args.results, args.plot):
        check_output_path(path)  # before the sweep, not after it
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        raise OptmodelError(f"--sizes must be integers separated by commas, got {args.sizes!r}") from None
    if min(sizes) < 1:
        raise OptmodelError(f"--sizes must be positive, got {args.sizes!r}")
    problem = problems[args.targets[0]]
    rows = sweep.run(problem, backends, sizes, repeat=args.repeat or 3, seed=int(args.seeds.split(",")[0]),
                     time_limit=args.time_limit)
    written = []
    if args.results:
        Path(args.results).write_text(json.dumps(rows, indent=1, default=str))
        written.append(args.results)
    if args.plot:
        sweep.plot(rows, args.plot, f"optmodel bench {problem.name}", problem.sizes_help)
        written.append(args.plot)
    if args.json:
        emit_json({"rows": rows, "files": [str(p) for p in written]})
    else:
        print(sweep.table(rows))
        for path in written:
            print(f"wrote {path}")
    return EXIT_OK


CHALLENGE_DESCRIPTION = """\
Run the Tick 1 challenge as the lecture did: every submission orders the training data and the
held-out data, each run in its own process under the time limit (killed 0.5 s after it: status
timeout) and a memory limit, and is scored: 100 x the mean similarity of neighbours in its order
over the largest similarity. A run without a score says why: timeout, error (its exception or the
last line of its stderr) or invalid (not a permutation, and why). The leaderboard is ranked by the
held-out score; optmodel's own rows (fast-tsp, the exact MIP, the spectral baseline) and the upper
bound on the score that any order can reach (the optimum where proven, else a proven bound) show
how much every entry leaves on the table.

A submission is a Python file defining

    def order(similarity, names):   # a symmetric numpy matrix, the item names
        return [...]                 # a permutation of 0..n-1: similar items adjacent

or any executable file, run as `PROGRAM SIMILARITY.csv` (a header row of names, then one row per
item starting with its name), that prints the order as 0-based indices separated by spaces, commas
or newlines. Examples: docs/challenge/. Submissions run as you: isolation is a process, not a sandbox.

DATA is a folder of code submissions (fingerprinted as `solve seriation --code` does) or a
similarity CSV. Finished runs go to the results store (REPORT/results.jsonl or --results): a re-run
skips them, so a changed submission (its file's hash) or dataset is all that runs again.
"""


def cmd_challenge(argv: Sequence[str]) -> int:
    parser = _parser("python -m optmodel challenge", CHALLENGE_DESCRIPTION, raw=True)
    parser.add_argument("challenge", choices=["seriation"], help="the challenge (seriation: Tick 1)")
    parser.add_argument("--submissions", required=True, metavar="DIR", help="a folder of submissions")
    parser.add_argument("--train", required=True, metavar="DATA", help="training data: a code folder or a CSV")
    parser.add_argument("--holdout", metavar="DATA", help="held-out data, unseen by the entrants")
    parser.add_argument("--time-limit", type=float, default=10.0, metavar="S", help="per run (default 10)")
    parser.add_argument("--no-references", action="store_true", help="leave out optmodel's own rows")
    _run_options(parser, "optmodel-challenge.jsonl", "leaderboard.md, leaderboard.html and heatmaps", "timeout,error")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    args = parser.parse_args(argv)
    from optmodel import challenge
    from optmodel.benchmark.store import Store

    _at_least(("--time-limit", args.time_limit, 0.01))
    entries, skipped = challenge.find_submissions(args.submissions)
    for line in skipped:
        print(f"optmodel: left out {line}", file=sys.stderr)
    entries += challenge.references(not args.no_references)
    datasets = [challenge.load_dataset("train", args.train)]
    if args.holdout:
        datasets.append(challenge.load_dataset("holdout", args.holdout))
    store_path = _store_path(args, "optmodel-challenge.jsonl")
    store = Store(store_path)
    contest = challenge.Contest(entries, datasets, args.time_limit, args.memory)
    complete = contest.run(store, workers=args.workers, scheduler=args.scheduler, retry=_statuses(args.retry))
    keys = {job["key"] for job in contest.jobs()}
    rows = [row for row in store.rows if row["run"] in keys]
    labels = [d.label for d in datasets]
    written = []
    if args.report:
        command = "python -m optmodel challenge " + shlex.join(argv)
        written = challenge.write_report(rows, datasets, args.report, command, args.time_limit)
    if args.json:
        out = challenge.to_json(rows, datasets, args.time_limit)
        out.update(complete=complete, results=str(store_path), files=[str(p) for p in written])
        emit_json(out)
    else:
        bounds = challenge.upper_bounds(rows, datasets)
        board = challenge.leaderboard(rows, labels)
        print(challenge.plain_table(*challenge.table(board, labels, bounds)))
        for line in challenge.problems_below(board, labels):
            print(line)
        print(f"\n{len(rows)} of {len(keys)} runs in {store_path}" + ("" if complete else " (interrupted)"))
        for path in written:
            print(f"wrote {path}")
    return EXIT_OK if complete else 130


def emit_json(obj: Any) -> None:
    """One JSON object on stdout, valid for every JSON parser: a NaN or infinite number becomes
    null, and ``non_finite`` says which field held what (JSON has no NaN or Infinity)."""
    reasons: dict[str, str] = {}

    def clean(x: Any, where: str) -> Any:
        if isinstance(x, dict):
            return {k: clean(v, f"{where}.{k}" if where else str(k)) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v, f"{where}[{i}]") for i, v in enumerate(x)]
        if isinstance(x, float) and not math.isfinite(x):
            reasons[where] = "not a number (NaN)" if math.isnan(x) else f"{'+' if x > 0 else '-'}infinity"
            return None
        return x

    out = clean(obj, "")
    if reasons and isinstance(out, dict):
        out["non_finite"] = reasons
    print(json.dumps(out, allow_nan=False, default=str))


def _reader_left() -> int:
    """stdout's reader went away (``| head``): not an error of ours, and nothing left to say."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return EXIT_OK


COMMANDS = {"solve": cmd_solve, "explain": cmd_explain, "bench": cmd_bench, "challenge": cmd_challenge,
            "list": cmd_list}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return EXIT_OK
    try:
        command = COMMANDS.get(argv[0])
        if command is None:
            raise UsageError(f"unknown command {argv[0]!r}; commands: {', '.join(COMMANDS)}")
        return command(argv[1:])
    except (OptmodelError, OSError, UnicodeDecodeError) as err:
        if isinstance(err, BrokenPipeError):
            return _reader_left()
        if getattr(err, "trace", ""):  # a spec's mistake: its own traceback lines first
            print(err.trace, file=sys.stderr)
        print(f"optmodel: {err}", file=sys.stderr)
        if "--json" in argv:  # scripts read stdout: one object, even for an error
            emit_json({"status": "error", "message": str(err), "file": getattr(err, "path", None),
                       "line": getattr(err, "line", None), "exit_code": EXIT_BAD_INPUT})
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # a second Ctrl-C: abort at once, leaving any solver thread behind
        print("optmodel: interrupted", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
