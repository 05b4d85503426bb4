"""``python -m optmodel``: parse arguments, run, print. Solver libraries load only when used."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from optmodel.backend import SolveOptions
from optmodel.errors import OptmodelError
from optmodel.problem import Report

EXIT_OK, EXIT_BAD_INPUT, EXIT_NOT_SOLVED = 0, 2, 3

USAGE = """usage: \
python -m optmodel COMMAND ...

commands:
  solve PROBLEM|FILE       solve a built-in problem (see `list`) or an MPS/LP file
  explain PROBLEM|FILE|PY  the formulation, its structure, and which backends can solve it
  bench PROBLEM            the same problem through several backends at growing sizes
  list                     problems, and backends with versions and capabilities

`python -m optmodel solve PROBLEM --help` lists a problem's own options.
"""


def _problems() -> dict[str, Any]:
    from optmodel.problems import discover

    return discover()


def _common_options(parser: argparse.ArgumentParser, lp_backends: bool = True) -> None:
    g = parser.add_argument_group("solver options")
    g.add_argument("--backend", metavar="NAME[:SUB]", help="e.g. highs, highs:ipm (default: best installed)")
    g.add_argument("--time-limit", type=float, metavar="S", help="seconds; the best solution found is returned")
    if lp_backends:
        g.add_argument("--mip-gap", type=float, metavar="G", help="relative MIP gap at which to stop")
        g.add_argument("--threads", type=int, metavar="N", help="solver threads")
    g.add_argument("--verbose", action="store_true", help="show the solver's log (on stderr)")
    g.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _options(args: argparse.Namespace) -> SolveOptions:
    return SolveOptions(
        time_limit=args.time_limit,
        mip_gap=getattr(args, "mip_gap", None),
        threads=getattr(args, "threads", None),
        verbose=args.verbose,
    )


def _solve_file(argv: Sequence[str]) -> tuple[Report, bool]:
    parser = argparse.ArgumentParser(
        prog="python -m optmodel solve FILE",
        description="Solve an LP/MIP from an MPS (fixed or free, optionally .gz) or CPLEX LP file.",
    )
    parser.add_argument("file", help="model file: .mps, .mps.gz, .lp")
    parser.add_argument("--write", metavar="OUT", help="also write the model (.mps or .lp), e.g. to convert")
    parser.add_argument("--values", action="store_true", help="include variable values in the output")
    _common_options(parser)
    args = parser.parse_args(argv)
    from optmodel.formats import read_model_file, write_model_file
    from optmodel.model import Model

    form = read_model_file(args.file)
    if args.write:
        write_model_file(form, args.write)
    model, x, _ = Model.from_canonical(form)
    sol = model.solve(args.backend, options=_options(args))
    rep = Report(sol)
    rep.answer["model"] = {"name": form.name, "rows": form.num_rows, "columns": form.num_cols, "nonzeros": form.nnz}
    if args.values and sol.has_values:
        rep.answer["values"] = dict(zip(form.col_names, sol[x].tolist()))
    return rep, args.json


def _solve_problem(problem: Any, argv: Sequence[str]) -> tuple[Report, bool]:
    parser = argparse.ArgumentParser(
        prog=f"python -m optmodel solve {problem.name}", description=problem.summary
    )
    problem.add_arguments(parser)
    _common_options(parser, problem.uses_lp_backends)
    args = parser.parse_args(argv)
    return problem.run(args, args.backend, _options(args)), args.json


def cmd_solve(argv: Sequence[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        names = "\n".join(f"  {p.name:<16} {p.summary}" for p in _problems().values())
        print(f"usage: python -m optmodel solve PROBLEM|FILE [options]\n\nproblems:\n{names}\n"
              "  FILE             an .mps / .qps / .lp model file (optionally .gz)\n\n"
              "`python -m optmodel solve PROBLEM --help` shows a problem's options.")
        return EXIT_OK
    target, rest = argv[0], list(argv[1:])
    from optmodel.problems import get

    problem = None if target.startswith("-") or Path(target).suffix else get(target)
    if problem is not None:
        rep, as_json = _solve_problem(problem, rest)
    elif target.startswith("-"):
        raise OptmodelError("name a problem or a model file first: python -m optmodel solve PROBLEM|FILE ...")
    elif Path(target).suffix or Path(target).exists():
        rep, as_json = _solve_file([target, *rest])
    else:
        names = ", ".join(_problems())
        raise OptmodelError(f"unknown problem {target!r}; problems: {names} (or give an .mps/.lp file)")
    _print_report(rep, as_json)
    sol = rep.solution
    solved = sol is None or sol.status.value not in ("error", "unverified")
    return EXIT_OK if solved else EXIT_NOT_SOLVED


def _print_report(rep: Report, as_json: bool) -> None:
    if as_json:
        print(json.dumps(rep.to_dict(), default=str))
        return
    sol = rep.solution
    if sol is not None:
        obj = "" if sol.objective is None else f"  objective {sol.objective:.10g}"
        backend = f"{sol.backend} {sol.backend_version}".strip()
        print(f"status {sol.status.value}{obj}  [{backend}, "
              f"build {sol.build_seconds:.3f}s, solve {sol.solve_seconds:.3f}s]")
        if sol.gap is not None and sol.bound is not None and sol.status.value != "optimal":
            print(f"bound {sol.bound:.10g}  gap {sol.gap:.3g}")
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
    parser = argparse.ArgumentParser(prog="python -m optmodel list", description="Problems and backends.")
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
        print(json.dumps({"problems": problems, "backends": backends}))
        return EXIT_OK
    print("problems:")
    for p in problems:
        print(f"  {p['name']:<16} {p['summary']}")
    print("\nbackends:")
    for b in backends:
        if b["available"]:
            print(f"  {b['name']:<10} {b['version']:<12} {b['description']}")
            for sub, caps in b["subsolvers"].items():
                print(f"      {b['name']}:{sub:<12} {', '.join(caps)}")
        else:
            print(f"  {b['name']:<10} {'-':<12} unavailable: {b['reason']}")
    return EXIT_OK


def _spec_model(path: Path) -> Any:
    """The model of a Python spec file: a global ``model`` or a function ``build()`` returning one."""
    import runpy

    from optmodel.model import Model

    namespace = runpy.run_path(str(path), run_name="optmodel_spec")
    model = namespace.get("model")
    if model is None and callable(namespace.get("build")):
        model = namespace["build"]()
    if not isinstance(model, Model):
        raise OptmodelError(f"{path}: define a Model named `model` or a function `build()` that returns one")
    return model


def cmd_explain(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m optmodel explain",
        description="Show a problem's formulation, its size and structure, which backends can solve it "
        "and why the others cannot, and the adjacent formulations optmodel knows.",
    )
    parser.add_argument("target", help="a problem name (see `list`), an .mps/.lp file, or a Python spec file")
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
        if not target.is_file():
            raise OptmodelError(f"{target}: no such file")
        exp = explain_model(_spec_model(target), title=f"{target.name}")
    elif target.suffix or target.exists():
        from optmodel.formats import read_model_file
        from optmodel.model import Model

        model = Model.from_canonical(read_model_file(target))[0]
        exp = explain_model(model, title=f"{target.name}")
    else:
        raise OptmodelError(f"unknown problem {args.target!r}; problems: {', '.join(problems)}")
    if args.json:
        print(json.dumps(exp.to_dict(), default=str))
    elif args.latex:
        print(exp.latex)
    else:
        print(exp.text())
    return EXIT_OK


def cmd_bench(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m optmodel bench",
        description="Solve generated instances of growing size with each backend: a warm-up run, then "
        "--repeat runs; medians of build and solve seconds.",
    )
    parser.add_argument("problem", help="a problem name (see `list`)")
    parser.add_argument("--backends", required=True, help="comma-separated, e.g. highs,ortools,pyomo,cvxpy")
    parser.add_argument("--sizes", required=True, help="comma-separated instance sizes, e.g. 10,20,40")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per point after the warm-up (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="instance generator seed")
    parser.add_argument("--time-limit", type=float, metavar="S", help="per solve")
    parser.add_argument("--json", metavar="FILE", help="write the rows as JSON")
    parser.add_argument("--plot", metavar="FILE.png", help="log-log plot of seconds against size")
    args = parser.parse_args(argv)
    from optmodel import bench

    problems = _problems()
    if args.problem not in problems:
        raise OptmodelError(f"unknown problem {args.problem!r}; problems: {', '.join(problems)}")
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        raise OptmodelError(f"--sizes must be integers separated by commas, got {args.sizes!r}") from None
    if args.repeat < 1:
        raise OptmodelError("--repeat must be at least 1")
    if min(sizes) < 1:
        raise OptmodelError(f"--sizes must be positive, got {args.sizes!r}")
    problem = problems[args.problem]
    rows = bench.run(problem, [b.strip() for b in args.backends.split(",") if b.strip()], sizes,
                     repeat=args.repeat, seed=args.seed, time_limit=args.time_limit)
    print(bench.table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str))
    if args.plot:
        bench.plot(rows, args.plot, f"optmodel bench {problem.name}", problem.sizes_help)
    return EXIT_OK


COMMANDS = {"solve": cmd_solve, "explain": cmd_explain, "bench": cmd_bench, "list": cmd_list}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return EXIT_OK
    command = COMMANDS.get(argv[0])
    if command is None:
        print(f"optmodel: unknown command {argv[0]!r}; commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return command(argv[1:])
    except (OptmodelError, OSError, UnicodeDecodeError) as err:
        print(f"optmodel: {err}", file=sys.stderr)
        if "--json" in argv:  # scripts read stdout: one object, even for an error
            print(json.dumps({"status": "error", "message": str(err)}))
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # a second Ctrl-C: abort at once, leaving any solver thread behind
        print("optmodel: interrupted", file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
