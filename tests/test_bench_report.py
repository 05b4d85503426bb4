"""Benchmark reports: wrong-answer checks, SGM, performance profiles and report files, on synthetic rows."""

import base64
import json
import math

import numpy as np
import pytest

from optmodel.benchmark import report


def row(instance="a", backend="x", status="optimal", objective=1.0, t=1.0, **kw):
    """A store row with every schema key; ``t`` is the solve time (build 0)."""
    r = {
        "run": f"{instance}/{backend}/{kw.get('seed', 0)}/{kw.get('repeat', 0)}",
        "instance": instance, "set": "toy", "kind": "mps", "path": f"/data/{instance}.mps",
        "backend": backend, "seed": 0, "repeat": 0, "time_limit": 10.0, "mip_gap": None, "threads": 1,
        "memory_mb": None, "status": status, "sense": "min", "objective": objective, "bound": None, "gap": None,
        "certified": False, "reference": None, "build_seconds": 0.0, "solve_seconds": t, "wall_seconds": t + 0.2,
        "peak_mb": None, "solver_version": "1.0", "host": "here", "started": "2025-01-01T00:00:00", "message": "",
    }
    r.update(kw)
    return r


def by_backend(rows):
    return {s["backend"]: s for s in report.summary(report.check(rows))}


def reasons(rows):
    return [(r["backend"], r["wrong"], r["wrong_reason"]) for r in report.check(rows)]


# --- times and SGM --------------------------------------------------------------------------


def test_seconds_is_build_plus_solve_or_wall():
    assert report.seconds(row(t=2.0, build_seconds=0.5)) == 2.5
    assert report.seconds(row(t=2.0, build_seconds=None)) == 2.0
    assert report.seconds(row(build_seconds=None, solve_seconds=None, wall_seconds=7.0)) == 7.0


def test_sgm_matches_a_hand_computation():
    rows = [row("a", "x", t=1.0), row("b", "x", t=100.0, time_limit=200.0), row("a", "y", t=1.0),
            row("b", "y", t=1.0)]
    s = by_backend(rows)
    assert s["x"]["sgm"] == pytest.approx(math.sqrt(11 * 110) - 10)
    assert s["y"]["sgm"] == pytest.approx(1.0)
    assert s["x"]["sgm_relative"] == pytest.approx(math.sqrt(11 * 110) - 10)
    assert s["y"]["sgm_relative"] == 1.0
    assert s["x"]["solved"] == 2 and s["x"]["runs"] == 2


def test_unsolved_runs_count_at_the_time_limit():
    rows = [row("a", "x", t=1.0),
            row("b", "x", status="time_limit", objective=None, t=37.0, time_limit=10.0),
            # a wrong "optimal" answer is unsolved too: counted at its limit, not at its 0.5 s
            row("c", "x", objective=5.0, reference=1.0, t=0.5, time_limit=20.0)]
    s = by_backend(rows)["x"]
    assert s["solved"] == 1 and s["wrong"] == 1 and s["time_limit_hits"] == 1
    assert s["sgm"] == pytest.approx((11 * 20 * 30) ** (1 / 3) - 10)


def test_no_time_limit_counts_unsolved_at_the_largest_time():
    rows = [row("a", "x", t=50.0, time_limit=None),
            row("b", "x", status="crashed", objective=None, build_seconds=None, solve_seconds=None,
                wall_seconds=3.0, time_limit=None)]
    s = by_backend(rows)["x"]
    assert s["crashed"] == 1
    assert s["sgm"] == pytest.approx(50.0)  # both at 50 s


def test_repeats_are_reduced_to_their_median_and_skipped_runs_count_at_the_limit():
    rows = [row("a", "x", t=t, repeat=i, time_limit=100.0) for i, t in enumerate([1.0, 2.0, 30.0])]
    rows.append(row("b", "x", status="skipped", objective=None, t=500.0, message="no TSPLIB reader"))
    s = by_backend(rows)["x"]
    # a at its median time 2; b, skipped, at its limit 10: a backend gains nothing by skipping
    assert s["sgm"] == pytest.approx(math.sqrt(12 * 20) - 10)
    assert s["runs"] == 4 and s["solved"] == 3 and s["skipped"] == 1


def test_an_answer_after_the_time_limit_is_not_solved_and_proofs_of_infeasibility_are():
    rows = [row("a", "x", t=5.0, time_limit=1.0), row("b", "x", status="infeasible", objective=None, t=0.5),
            row("c", "x", status="unbounded", objective=None, t=0.5)]
    checked = report.check(rows)
    assert [report.solved(r) for r in checked] == [False, True, True]


def test_summary_counts_statuses_per_backend_in_first_appearance_order():
    rows = [row("a", "z", status="killed", objective=None), row("a", "x", status="error", objective=None),
            row("b", "z", status="unverified"), row("c", "z", status="time_limit", objective=2.0)]
    summ = report.summary(report.check(rows))
    assert [s["backend"] for s in summ] == ["z", "x"]
    z = summ[0]
    assert (z["killed"], z["errors"], z["time_limit_hits"], z["solved"]) == (1, 1, 1, 0)
    assert summ[1]["errors"] == 1


# --- performance profile -------------------------------------------------------------------


def test_profile_on_a_toy_by_hand():
    rows = [row("a", "x", t=1.0), row("a", "y", t=2.0),
            row("b", "x", status="time_limit", objective=None, t=10.0), row("b", "y", t=3.0),
            row("c", "x", status="time_limit", objective=None), row("c", "y", status="killed", objective=None)]
    prof = report.profile(report.check(rows))
    # ratios x: a 1, b inf, c inf;  y: a 2, b 1, c inf (nobody solved c: no curve reaches 1)
    np.testing.assert_allclose(prof["x"][0], [1.0])
    np.testing.assert_allclose(prof["x"][1], [1 / 3])
    np.testing.assert_allclose(prof["y"][0], [1.0, 2.0])
    np.testing.assert_allclose(prof["y"][1], [1 / 3, 2 / 3])


def test_profile_counts_a_skipped_backend_as_unsolved_and_uses_median_repeats():
    rows = [row("a", "x", t=4.0, repeat=0), row("a", "x", t=100.0, repeat=1), row("a", "x", t=5.0, repeat=2),
            row("a", "y", t=2.0), row("b", "x", t=1.0), row("b", "y", status="skipped", objective=None)]
    prof = report.profile(report.check(rows))
    np.testing.assert_allclose(prof["x"][0], [1.0, 2.5])  # a: median 5 / 2
    np.testing.assert_allclose(prof["x"][1], [0.5, 1.0])
    np.testing.assert_allclose(prof["y"][1], [0.5])


def test_plot_profile_writes_a_png(tmp_path):
    out = report.plot_profile(report.check([row("a", "x"), row("a", "y", t=3.0)]), tmp_path / "p.png", "toy")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- wrong answers ---------------------------------------------------------------------------


def test_wrong_against_the_reference_optimum():
    got = reasons([row("a", "x", objective=1.01, reference=1.0), row("a", "y", objective=1.00005, reference=1.0)])
    assert got[0][1] and "differs from the reference optimum 1" in got[0][2]
    assert got[1] == ("y", False, "")  # within 1e-4 relative


def test_reference_on_one_row_is_the_instances_answer():
    got = reasons([row("a", "x", objective=3.0), row("a", "y", objective=2.0, reference=2.0)])
    assert got[0][1] and "reference optimum 2" in got[0][2]


def test_wrong_against_another_backends_certified_optimum():
    rows = [row("a", "x", objective=2.0, certified=True), row("a", "y", objective=2.5),
            row("a", "z", objective=2.0001)]
    got = reasons(rows)
    assert got[0] == ("x", False, "")
    assert got[1][1] and "x's certified optimum 2" in got[1][2]
    assert got[2] == ("z", False, "")
    # an uncertified optimum is no answer (a worse feasible point is fine), and a backend never checks itself
    assert not any(w for _, w, _ in reasons([row("a", "x", objective=2.0),
                                             row("a", "y", status="feasible", objective=2.5)]))
    assert not any(w for _, w, _ in reasons([row("a", "x", objective=2.0, certified=True),
                                             row("a", "x", objective=9.0, seed=1)]))


def test_two_certified_backends_that_disagree_are_both_flagged():
    got = reasons([row("a", "x", objective=2.0, certified=True), row("a", "y", objective=3.0, certified=True)])
    assert got[0][1] and got[1][1] and "y's" in got[0][2] and "x's" in got[1][2]


def test_other_paths_are_other_instances():
    rows = [row("a", "x", objective=2.0, certified=True), row("a", "y", objective=3.0, path="/other/a.mps")]
    assert not any(w for _, w, _ in reasons(rows))


def test_objective_better_than_the_optimum_is_impossible_for_any_status():
    rows = [row("a", "x", status="time_limit", objective=0.5, reference=1.0),
            row("a", "y", status="feasible", objective=1.5, reference=1.0),  # worse is fine without optimal
            row("a", "z", status="interrupted", objective=0.99995, reference=1.0)]  # within tolerance
    got = reasons(rows)
    assert got[0][1] and "better than the optimum" in got[0][2] and "impossible" in got[0][2]
    assert got[1] == ("y", False, "") and got[2] == ("z", False, "")


def test_bound_beyond_the_optimum():
    rows = [row("a", "x", status="time_limit", objective=3.0, bound=1.5, reference=1.0),
            row("a", "y", status="time_limit", objective=3.0, bound=0.9, reference=1.0)]
    got = reasons(rows)
    assert got[0][1] and got[0][2].startswith("bound 1.5 beyond the optimum 1")
    assert got[1] == ("y", False, "")


def test_infeasible_or_unbounded_while_an_optimum_is_known():
    for status in ("infeasible", "unbounded", "infeasible_or_unbounded"):
        got = reasons([row("a", "x", status=status, objective=None, reference=1.0)])
        assert got[0][1] and got[0][2].startswith(f"status {status} but the reference optimum is 1")
    got = reasons([row("a", "x", objective=1.0, certified=True), row("a", "y", status="infeasible", objective=None)])
    assert got == [("x", False, ""), ("y", True, "status infeasible but x's certified optimum is 1")]


def test_optimal_while_another_backend_certified_infeasible_and_vice_versa():
    got = reasons([row("a", "x", status="infeasible", objective=None, certified=True), row("a", "y", objective=4.0)])
    # y's checked point is the stronger evidence: the infeasibility claim is the wrong one
    assert got[0][1] and "y found a verified feasible point" in got[0][2]
    assert not got[1][1]
    # a certified unboundedness (a checked point and ray) contradicts an optimum
    unb = reasons([row("a", "x", status="unbounded", objective=None, certified=True), row("a", "y", objective=4.0)])
    assert unb[1][1] and "x certified the instance has no optimum" in unb[1][2]
    # a known reference settles it: the infeasible claim is wrong, the optimum right
    ref = reasons([row("a", "x", status="infeasible", objective=None, certified=True, reference=4.0),
                   row("a", "y", objective=4.0, reference=4.0)])
    assert ref[0][1] and not ref[1][1]


def test_max_sense_flips_the_directions():
    rows = [row("a", "x", sense="max", status="time_limit", objective=11.0, reference=10.0),  # above a maximum
            row("a", "y", sense="max", status="time_limit", objective=9.0, bound=9.5, reference=10.0),  # bound low
            row("a", "z", sense="max", status="time_limit", objective=9.0, bound=10.5, reference=10.0)]  # fine
    got = reasons(rows)
    assert got[0][1] and "impossible" in got[0][2]
    assert got[1][1] and got[1][2].startswith("bound 9.5 beyond")
    assert got[2] == ("z", False, "")
    # the same objectives under "min" (and sense None read as min) flag the other way round
    got = reasons([row("a", "x", sense=None, status="time_limit", objective=9.0, reference=10.0)])
    assert got[0][1] and "impossible" in got[0][2]


def test_tolerance_follows_the_runs_mip_gap_and_scales_with_the_optimum():
    assert reasons([row("a", "x", objective=1005.0, reference=1000.0, mip_gap=1e-2)])[0][1] is False
    assert reasons([row("a", "x", objective=1005.0, reference=1000.0)])[0][1] is True
    assert reasons([row("a", "x", objective=1e-5, reference=0.0)])[0][1] is False  # absolute 1e-4 near 0


def test_runs_without_a_trusted_answer_are_never_wrong():
    rows = [row("a", "x", status=s, objective=-99.0, bound=99.0, reference=1.0)
            for s in ("killed", "crashed", "skipped", "error", "unverified")]
    checked = report.check(rows)
    assert [r["wrong"] for r in checked] == [False] * 5 and all(r["wrong_reason"] == "" for r in checked)
    assert "wrong" not in rows[0]  # check copies, it does not mutate


def test_nan_objectives_are_no_answer():
    rows = [row("a", "x", objective=math.nan, certified=True), row("a", "y", objective=math.inf, reference=math.nan)]
    assert not any(w for _, w, _ in reasons(rows))


# --- tables and reports ----------------------------------------------------------------------


def mixed_rows():
    return [row("afiro", "highs", objective=-464.75, reference=-464.75, t=0.01),
            row("afiro", "bad", objective=-400.0, reference=-464.75, t=0.02),
            row("p0201", "highs", status="time_limit", objective=7700.0, reference=7615.0),
            row("p0201", "bad", status="killed", objective=None, message="wall-clock limit"),
            row("b|c", "highs", t=2.5), row("b|c", "bad", status="skipped", objective=None)]


def test_instance_table_cells():
    header, lines = report.instance_table(report.check(mixed_rows()))
    assert header == ["instance", "highs", "bad"]
    table = {line[0]: line[1:] for line in lines}
    assert table["afiro"] == ["0.010", "WRONG (obj -400)"]
    assert table["p0201"] == ["time_limit +1.1%", "killed"]  # its point, 1.1% above the optimum
    assert table["b|c"] == ["2.50", "skipped"]
    header, lines = report.instance_table(report.check([row(seed=0), row(seed=1, t=3.0)]))
    assert header == ["instance", "seed", "x"] and lines == [["a", "0", "1.00"], ["a", "1", "3.00"]]


def test_terminal_table_marks_wrong_cells_red_only_with_color():
    checked = report.check(mixed_rows())
    plain = report.terminal_table(checked, color=False)
    assert "\x1b[" not in plain and "WRONG (obj -400)" in plain and "WRONG ANSWERS (1)" in plain
    colored = report.terminal_table(checked, color=True)
    assert "\x1b[31mWRONG (obj -400)" in colored
    assert "SGM" in plain and "highs" in plain


def test_write_report_writes_md_html_png_with_the_wrong_run_first(tmp_path):
    machine = {"cpu": "Toy CPU <8 cores>", "python": "3.11"}
    paths = report.write_report(report.check(mixed_rows()), tmp_path / "out", "Toy & co", "optmodel bench x", machine)
    assert sorted(p.name for p in paths) == ["profile.png", "report.html", "report.md"]
    assert all(p.exists() for p in paths)
    md = (tmp_path / "out" / "report.md").read_text()
    assert md.index("## Wrong answers") < md.index("## Summary") < md.index("## Per instance")
    wrong_section = md[md.index("## Wrong answers"):md.index("## Summary")]
    assert "afiro" in wrong_section and "differs from the reference optimum -464.75" in wrong_section
    assert "**WRONG** (obj -400)" in md and "b\\|c" in md
    assert "optmodel bench x" in md and "Toy CPU <8 cores>" in md and "shift 10 s" in md
    page = (tmp_path / "out" / "report.html").read_text()
    png = (tmp_path / "out" / "profile.png").read_bytes()
    assert f"data:image/png;base64,{base64.b64encode(png).decode()}" in page
    assert 'class="wrong">WRONG (obj -400)</td>' in page and "color: #c00" in page
    assert "Toy &amp; co" in page and "Toy CPU &lt;8 cores&gt;" in page and "<8 cores>" not in page
    assert page.index("Wrong answers") < page.index("Summary")


def test_write_report_without_wrong_runs_says_so(tmp_path):
    report.write_report(report.check([row()]), tmp_path, "t", "cmd", {})
    md = (tmp_path / "report.md").read_text()
    assert "## Wrong answers" not in md and "No run was flagged wrong." in md


def test_to_json_has_no_nan_or_infinity():
    rows = [*mixed_rows(), row("n", "highs", objective=math.nan, bound=-math.inf, gap=math.inf, peak_mb=math.nan),
            row("n", "bad", status="time_limit", objective=None, time_limit=None)]
    out = report.to_json(report.check(rows))
    text = json.dumps(out, allow_nan=False)
    back = json.loads(text)
    nrow = next(r for r in back["rows"] if r["instance"] == "n" and r["backend"] == "highs")
    assert nrow["objective"] is None and nrow["bound"] is None and nrow["gap"] is None
    assert {s["backend"] for s in back["summary"]} == {"highs", "bad"}
    assert back["profile"]["highs"]["tau"][0] == 1.0 and all(0 <= v <= 1 for v in back["profile"]["bad"]["rho"])
    assert any(r["wrong"] for r in back["rows"])


def test_a_verified_point_proves_a_claimed_optimum_or_bound_wrong_without_any_reference():
    # MIPs have no duals, so no run is certified: the checked points are the evidence
    rows = [row("a", "x", objective=10.0), row("a", "y", objective=12.0),
            row("a", "z", status="time_limit", objective=13.0, bound=11.0)]
    got = reasons(rows)
    assert got[0] == ("x", False, "")
    assert got[1][1] and "x found a verified point with 10" in got[1][2]
    assert got[2][1] and "bound 11 beyond a verified point of x" in got[2][2]
    maxed = reasons([row("a", "x", sense="max", objective=10.0), row("a", "y", sense="max", objective=9.0)])
    assert not maxed[0][1] and maxed[1][1]


def test_generated_instances_are_another_instance_for_every_seed():
    rows = [row("mst:8", "x", kind="generated", seed=0, objective=10.0, certified=True),
            row("mst:8", "y", kind="generated", seed=1, objective=12.0)]
    assert not any(w for _, w, _ in reasons(rows))
    rows[1]["seed"] = 0
    assert reasons(rows)[1][1]
