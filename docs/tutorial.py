"""The lecture's workflow on each of its examples, as a runnable script.

    can I express my task as an optimization problem?   -> explain
    can an off-the-shelf optimizer solve it?            -> solve, bench
    if not, is there an adjacent, more amenable one?    -> the adjacent formulations explain lists

usage: python docs/tutorial.py [--quick] [--out DIR] [--markdown FILE]

Every step is a real `python -m optmodel ...` command; its output is printed (and, with
--markdown, written into the walkthrough docs/tutorial.md with the commentary).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("OPTMODEL_DATA", ROOT.parent / "shared" / "data"))


# Step 6's model files, written next to the figures when the script runs (small, hand-made).
MODEL_FILES = {
    "hs35.qps": r"""* HS35 of the Maros-Meszaros convex QP test set (Hock & Schittkowski problem 35); optimum 1/9
* min 9 - 8x1 - 6x2 - 4x3 + 2x1^2 + 2x2^2 + x3^2 + 2x1x2 + 2x1x3  s.t.  x1 + x2 + 2x3 <= 3, x >= 0
NAME          HS35
ROWS
 N  obj
 L  c1
COLUMNS
    x1        obj       -8             c1        1
    x2        obj       -6             c1        1
    x3        obj       -4             c1        2
RHS
    rhs       obj       -9             c1        3
QUADOBJ
    x1        x1        4
    x1        x2        2
    x1        x3        2
    x2        x2        4
    x3        x3        2
ENDATA
""",
    "facility.lp": r"""\ Open facilities to meet demand: a fixed charge per open facility (indicators), at most one of
\ two rival sites (SOS1) and a minimum lot for the hired truck (semicontinuous: 0, or 20 to 60).
Minimize
 obj: 2 ship_a + 3 ship_b + 2.5 ship_c + 4 truck + 30 open_a + 25 open_b + 20 open_c
Subject To
 demand: ship_a + ship_b + ship_c + truck >= 100
 closed_a: open_a = 0 -> ship_a <= 0
 closed_b: open_b = 0 -> ship_b <= 0
 closed_c: open_c = 0 -> ship_c <= 0
Bounds
 0 <= ship_a <= 50
 0 <= ship_b <= 50
 0 <= ship_c <= 50
 20 <= truck <= 60
Binaries
 open_a open_b open_c
Semi-continuous
 truck
SOS
 rivals: S1:: ship_b:1 ship_c:2
End
""",
    "infeasible.lp": r"""\ A plan that cannot meet its order: two capped machines, one order of 10 units.
Maximize
 profit: 3 x + 2 y
Subject To
 order: x + 2 y >= 10
 machine_x: x <= 2
 machine_y: y <= 3
 labour: x + y <= 6
End
""",
}


def steps(quick: bool, out: Path) -> list[tuple[str, list[list[str]]]]:
    rome = DATA / "graphs" / "rome99.gr"
    graph = ["--graph", str(rome), "--source", "1", "--target", "3353"] if rome.exists() else ["--grid", "60"]
    mst_graph = ["--graph", str(rome)] if rome.exists() and not quick else ["--random", "300"]
    import networkx

    code = Path(networkx.__file__).parent / "algorithms" / ("shortest_paths" if quick else "")
    models = out / "models"
    models.mkdir(parents=True, exist_ok=True)
    for name, text in MODEL_FILES.items():
        (models / name).write_text(text)
    hs35, facility, infeasible = (str(models / name) for name in MODEL_FILES)
    from optmodel.corpus import make_challenge_corpus

    corpus = out / "challenge-corpus"
    if not corpus.exists():
        make_challenge_corpus(corpus, seed=0)
    return [
        (
            "## 1. Maximum likelihood of a random-variable generator\n\n"
            "The geometric generator `X = ceil(-log(Z)/λ)` has likelihood Π p(1-p)^(x-1). Maximising its log "
            "is a concave problem in p, so an off-the-shelf convex solver takes it as stated; its closed form "
            "is p̂ = n / Σx. The same answer comes from gradient ascent and from the GAN Lagrangian: for every "
            "θ the best discriminator is d = q/p_θ, where the Lagrangian bound equals the log-likelihood, so "
            "max-min recovers maximum likelihood. The table shows the bound above V(p) everywhere, touching it "
            "at the best d.",
            [
                ["explain", "geometric-mle"],
                ["solve", "geometric-mle", "--generate", "2000", "--p", "0.3", "--seed", "0", "--method", "all"]
                + (["--steps", "300"] if quick else []),
            ],
        ),
        (
            "## 2. Shortest path as a flow LP\n\n"
            "x ∈ {0,1,2,…}^E with net flow 1 out of s and conservation elsewhere. `explain` finds the network "
            "matrix: totally unimodular, so the LP optimum is integral and HiGHS solves the LP. The adjacent "
            "problem is Dijkstra's: the `auto` backend recognises the network LP, solves it combinatorially "
            "and still proves optimality in LP terms (node potentials as duals, `certified: true`). `bench` "
            "puts every backend on the same generated instances.",
            [
                ["explain", "shortest-path"],
                ["solve", "shortest-path", *graph],
                ["solve", "shortest-path", *graph, "--backend", "auto", "--json"],
                ["bench", "shortest-path", "--backends", "highs,ortools,pyomo,cvxpy,auto", "--sizes",
                 "5,10" if quick else "10,20,40,80", "--repeat", "1" if quick else "3",
                 "--results", str(out / "bench-shortest-path.json"), "--plot", str(out / "bench-shortest-path.png")],
            ],
        ),
        (
            "## 3. Minimum spanning tree with exponentially many constraints\n\n"
            "One cut constraint per vertex subset S: nobody writes them out. `m.lazy(separate)` gives them as "
            "a separation oracle (connected components of integer points, minimum cuts of fractional ones); "
            "SCIP enforces them inside its branch-and-cut, HiGHS gets optmodel's row-generation loop. The "
            "lecture's cut LP is weak, so the adjacent directed-cut formulation (integral LP relaxation) is "
            "the default; both reach Kruskal's weight.",
            [
                ["explain", "mst"],
                ["solve", "mst", *mst_graph, "--json"],
                ["solve", "mst", "--random", "40", "--formulation", "cut", "--json"],
            ],
        ),
        (
            "## 4. Tick 1: ordering submissions so that similar code sits together\n\n"
            "Token k-gram fingerprints (winnowing, as MOSS does) give a similarity matrix; the best order is a "
            "maximum-similarity Hamiltonian path, a TSP in disguise, solved by the fast-tsp heuristic (exact "
            "MIP with lazy subtour cuts for small cases). The spectral (Fiedler vector) baseline is the "
            "comparison; the heatmap shows the blocks.",
            [
                ["solve", "seriation", "--code", str(code), "--plot", str(out / "seriation.png"),
                 "--time-limit", "2"],
                ["solve", "seriation", "--code", str(code), "--backend", "spectral"],
            ],
        ),
        (
            "## 5. The GAN as a Lagrangian\n\n"
            "L(θ,φ) = −(1/n)Σ log d_φ(xᵢ) + (1/n)Σ d_φ(f_θ(zᵢ)) with d_φ > 0, solved as max_θ min_φ L by "
            "stochastic gradients (optimistic Adam, two time-scales), on the GPU when there is one. The default "
            "keeps the lecture's loss and changes only how the players are built and trained: d = softplus(T) "
            "rather than exp(T) (`--positive exp` is the lecture's own), a discriminator that judges packs of 2 "
            "samples (PacGAN), instance noise annealed away, and a learning rate decayed over the second half. "
            "`benchmarks/README-gan.md` measures each of these against the alternatives. On the ring of 8 "
            "Gaussians the metrics count the modes captured and the share of high-quality samples (within 3σ "
            "of a mode); `benchmarks/gan.py --bound` checks the lecture's theorem that max-min equals the "
            "maximum log-likelihood on a finite sample space.",
            [
                ["solve", "gan", "--dataset", "ring8", "--device", "cpu", "--seed", "0",
                 *(["--steps", "300"] if quick else []), "--samples", str(out / "gan-ring8.png"), "--json"],
            ],
        ),
        (
            "## 6. Beyond linear: quadratic objectives, logical constraints, certificates\n\n"
            "The same model files carry more than LPs. HS35 from the Maros–Mészáros QP set (a `QUADOBJ` "
            "section, optimum 1/9) is solved by HiGHS and SCIP; a convex QP's optimum is certified by its KKT "
            "conditions. The facility model uses indicators (closed ⇒ ships nothing), an SOS1 set (one of two "
            "rival sites) and a semicontinuous truck hire (0, or 20 to 60): SCIP takes the first two natively, "
            "HiGHS the third, and `explain` shows the named reductions each route gets for the rest (big-M "
            "from the bounds, binaries). An infeasible plan comes with a Farkas certificate that optmodel "
            "checks itself and states in words. In Python, `m.set_bounds(...)` or `m.set_objective(...)` on a "
            "solved model re-solves in the solver that is still loaded (`benchmarks/resolve.py` measures it). "
            "The three model files are written by this script (`docs/tutorial.py`, `MODEL_FILES`).",
            [
                ["solve", hs35, "--backend", "highs", "--json"],
                ["solve", hs35, "--backend", "scip"],
                ["explain", facility],
                ["solve", facility, "--backend", "highs"],
                ["solve", facility, "--backend", "scip"],
                ["solve", infeasible],
            ],
        ),
        (
            "## 7. Running the Tick 1 challenge\n\n"
            "The lecture's contest judged programs only by an evaluation criterion: each submitted `order("
            "similarity, names)` (or executable) orders last year's submissions (training) and this year's "
            "(held out, unseen by the entrants), in its own process under a time limit, and is scored by the "
            "mean similarity of neighbours. The corpus here is generated (`python -m optmodel.corpus DIR`: "
            "six exercises handed in as chains of disguised copies, with shared handout code, borrowed "
            "functions and a few independent solutions); the entrants are the examples in "
            "`docs/challenge/`. Read the table as the lecture did: the ranking is by the held-out score, so "
            "an entry tuned to the training data shows it there; `timeout`, `error` and `invalid` entries score "
            "nothing and the lines below the table say why. The last question is the course's: could an "
            "off-the-shelf optimizer have done better, and by how much? optmodel's own rows and the upper "
            "bound (the optimum, proved by the exact MIP, or a proven bound) answer it: the gap column is "
            "what every entry leaves on the table.",
            [
                ["challenge", "seriation", "--submissions", str(ROOT / "docs" / "challenge"),
                 "--train", str(corpus / "train"), "--holdout", str(corpus / "holdout"),
                 "--time-limit", "2" if quick else "5", "--workers", "2", "--report", str(out / "challenge")],
            ],
        ),
    ]


def run(args: list[str]) -> str:
    proc = subprocess.run([sys.executable, "-m", "optmodel", *args], capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"`optmodel {' '.join(args)}` failed:\n{proc.stderr}")
    text = proc.stdout.strip()
    if "--json" in args and "bench" not in args:
        data = json.loads(text)
        data.pop("verification", None)
        for key in ("path", "edges", "tree", "order", "tour"):
            if isinstance(data.get(key), list) and len(data[key]) > 12:
                data[key] = [*data[key][:6], "...", *data[key][-3:]]
        text = json.dumps(data, indent=1, default=str)
        # Keep pairs such as [u, v] on one line.
        text = re.sub(r"\[\s+(-?[\w.]+),\s+(-?[\w.]+)\s+\]", r"[\1, \2]", text)
    return text


def _relative(text: str) -> str:
    """Paths as a reader in the repository root would type them."""
    return text.replace(str(ROOT) + "/", "").replace(str(ROOT.parent), "..")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes and few steps (CI)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "figures"), help="where plots go")
    parser.add_argument("--markdown", help="also write the walkthrough with every output to this file")
    parser.add_argument("--section", type=int, metavar="N",
                        help="run only section N; with --markdown, replace just that section in the file")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sections = steps(args.quick, out)
    if args.section is not None and not 1 <= args.section <= len(sections):
        parser.error(f"--section: there are sections 1 to {len(sections)}")
    if args.section is not None and args.markdown:  # checked before the section's commands run
        markdown = Path(args.markdown)
        if not markdown.is_file() or not re.search(rf"^## {args.section}\. ", markdown.read_text(), re.MULTILINE):
            parser.error(f"--section {args.section}: {markdown} has no section '## {args.section}.' to replace")
    doc = [Path(__file__).with_name("tutorial-intro.md").read_text().strip()]
    for number, (text, commands) in enumerate(sections, start=1):
        if args.section not in (None, number):
            continue
        print(text.splitlines()[0])
        doc.append(text)
        for cmd in commands:
            shown = "python -m optmodel " + _relative(shlex.join(cmd))
            output = run(cmd)
            print(f"$ {shown}\n{output}\n")
            doc.append(f"```\n$ {shown}\n{_relative(output)}\n```")
            for png in (a for a in cmd if a.endswith(".png")):
                where = Path(args.markdown).resolve().parent if args.markdown else ROOT
                doc.append(f"![{Path(png).stem}]({os.path.relpath(png, where)})")
    if args.markdown and args.section is None:
        Path(args.markdown).write_text("\n\n".join(doc) + "\n")
    elif args.markdown:
        _replace_section(Path(args.markdown), args.section, "\n\n".join(doc[1:]))


def _replace_section(markdown: Path, number: int, text: str) -> None:
    """Put ``text`` where section ``number`` was, from its heading to the next section's."""
    old = markdown.read_text()
    start = re.search(rf"^## {number}\. ", old, re.MULTILINE)
    assert start is not None  # main() checked it before running the section
    following = re.search(r"^## \d+\. ", old[start.end():], re.MULTILINE)
    end = start.end() + following.start() if following else len(old)
    markdown.write_text(old[: start.start()] + text + ("\n\n" if following else "\n") + old[end:])


if __name__ == "__main__":
    main()
