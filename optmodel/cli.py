"""``python -m optmodel``: parse arguments, run, print. Solver libraries load only when used."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from optmodel.backend import SolveOptions
from optmodel.errors import OptmodelError, UsageError
from optmodel.problem import Report

EXIT_OK, EXIT_BAD_INPUT, EXIT_NOT_SOLVED = 0, 2, 3

USAGE = """usage: \
python -m optmodel COMMAND ...

commands:
  solve PROBLEM|FILE       solve a built-in problem (see `list`) or an MPS/LP file
  explain PROBLEM|FILE|PY  the formulation, its structure, and which backends can solve it
  bench TARGET...          backends on instance sets: isolated runs, checked answers, a report
  bench PROBLEM --sizes    the same problem through several backends at growing sizes
  challenge seriation      run the Tick 1 challenge: score submitted ordering programs
  list                     problems, and backends with versions and capabilities

`python -m optmodel solve PROBLEM --help` lists a problem's own options.
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is an error like any other: one line, exit 2, and with
    --json one JSON object on stdout (argparse itself would print the usage and exit)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _parser(prog: str, description: str | None = None, raw: bool = False) -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter if raw else argparse.HelpFormatter
    return _Parser(prog=prog, description=description, formatter_class=formatter)


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
    parser = _parser("python -m optmodel solve FILE",
                     "Solve an LP/MIP from an MPS (fixed or free, optionally .gz) or CPLEX LP file.")
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
    parser = _parser(f"python -m optmodel solve {problem.name}", problem.summary)
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
        emit_json(rep.to_dict())
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
    parser = _parser("python -m optmodel explain",
                     "Show a problem's formulation, its size and structure, which backends can solve it "
                     "and why the others cannot, and the adjacent formulations optmodel knows.")
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
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        raise OptmodelError(f"--sizes must be integers separated by commas, got {args.sizes!r}") from None
    if min(sizes) < 1:
        raise OptmodelError(f"--sizes must be positive, got {args.sizes!r}")
    problem = problems[args.targets[0]]
    rows = sweep.run(problem, backends, sizes, repeat=args.repeat or 3, seed=int(args.seeds.split(",")[0]),
                     time_limit=args.time_limit)
    if args.json:
        emit_json({"rows": rows})
    else:
        print(sweep.table(rows))
    if args.results:
        Path(args.results).write_text(json.dumps(rows, indent=1, default=str))
    if args.plot:
        sweep.plot(rows, args.plot, f"optmodel bench {problem.name}", problem.sizes_help)
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
