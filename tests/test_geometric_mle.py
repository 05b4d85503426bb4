"""Maximum likelihood of the geometric generator: four methods against n / Σ xᵢ."""

import json
import math

import numpy as np
import pytest

from optmodel.cli import main
from optmodel.errors import InputError
from optmodel.problems import geometric_mle as geo


@pytest.fixture(scope="module")
def sample():
    return geo.Sample(geo.generate(1500, 0.3, seed=4))


def test_generator_is_the_lectures_geometric_law():
    x = geo.generate(200_000, 0.3, seed=1)
    assert x.min() >= 1
    freq = np.bincount(x, minlength=6)[1:6] / len(x)
    expected = 0.3 * 0.7 ** np.arange(5)
    assert np.abs(freq - expected).max() < 5e-3
    assert geo.closed_form(geo.Sample(x)) == pytest.approx(0.3, abs=3e-3)


def test_closed_form_maximises_the_likelihood(sample):
    p = geo.closed_form(sample)
    grid = np.linspace(0.05, 0.95, 181)
    values = [geo.log_likelihood(sample, g) for g in grid]
    assert geo.log_likelihood(sample, p) >= max(values)
    # V(p) equals the mean log pmf, computed another way.
    pmf = p * (1 - p) ** (sample.x - 1)
    assert geo.log_likelihood(sample, p) == pytest.approx(np.log(pmf).mean())


def test_convex_method_agrees(sample):
    pytest.importorskip("cvxpy")
    p, sol = geo.estimate(sample, "convex")
    assert sol.status.value == "optimal"
    assert p == pytest.approx(geo.closed_form(sample), abs=1e-4)


def test_gradient_and_lagrangian_agree(sample):
    pytest.importorskip("torch")
    ref = geo.closed_form(sample)
    p_grad, _ = geo.estimate(sample, "gradient", steps=600)
    assert p_grad == pytest.approx(ref, abs=1e-4)
    p_lag, sol = geo.estimate(sample, "lagrangian", steps=600)
    assert abs(p_lag - ref) < 5e-3
    # At the saddle, Σ q log q − 1 + min_d L = V(p̂) (strong duality on the table).
    q = sample.q()
    const = float((q[q > 0] * np.log(q[q > 0])).sum()) - 1
    assert const + sol.objective == pytest.approx(geo.log_likelihood(sample, ref), abs=1e-2)


def test_gradient_methods_are_checked_against_the_closed_form(sample):
    pytest.importorskip("torch")
    ref = geo.closed_form(sample)
    p, sol = geo.estimate(sample, "gradient", steps=600)
    assert sol.stats["closed_form_p"] == ref and sol.verification.passed
    err = sol.stats["closed_form_relative_error"]
    assert err == pytest.approx(abs(p - ref) / ref) and err < 1e-4
    assert "from the closed form" in sol.message
    p, sol = geo.estimate(sample, "lagrangian", steps=20)  # far from converged: flagged
    assert sol.stats["closed_form_relative_error"] > geo.CLOSED_FORM_RTOL
    assert sol.status.value == "iteration_limit" and not sol.verification.passed
    assert "more than the tolerance" in sol.verification.problems[0]


def test_bound_is_above_the_likelihood_and_touches_at_the_best_d(sample):
    ref = geo.closed_form(sample)
    rng = np.random.default_rng(0)
    for p in (0.1, 0.25, ref, 0.5, 0.8):
        v = geo.log_likelihood(sample, p)
        for _ in range(20):
            d = np.exp(rng.normal(size=sample.support + 1))
            assert geo.bound(sample, p, d) >= v - 1e-12
        assert geo.bound(sample, p, geo.best_discriminator(sample, p)) == pytest.approx(v, abs=1e-9)
    _, rows = geo.bound_table(sample, ref)
    for r in rows:
        assert min(r["bound_d_one"], r["bound_d_best_of_p_hat"], r["bound_d_best_of_p"]) >= r["V"] - 1e-12


def test_cli_all_methods_json(capsys):
    pytest.importorskip("torch")
    pytest.importorskip("cvxpy")
    assert main(["solve", "geometric-mle", "--generate", "800", "--p", "0.4", "--seed", "2", "--method", "all",
                 "--steps", "600", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = out["closed_form"]
    assert ref == pytest.approx(out["n"] / out["sum"]) and out["p"] == ref
    assert set(out["estimates"]) == {"closed-form", "convex", "gradient", "lagrangian"}
    for method, p in out["estimates"].items():
        assert abs(p - ref) < (5e-3 if method == "lagrangian" else 1e-4), method
    assert out["true_p"] == 0.4 and len(out["bound_table"]) >= 3


def test_cli_data_file_and_teaching_table(tmp_path, capsys):
    path = tmp_path / "x.txt"
    path.write_text("# a sample\n1\n3\n\n2\n6\n")
    assert main(["solve", "geometric-mle", "--data", str(path)]) == 0
    text = capsys.readouterr().out
    assert "p = n/Σx = 0.333333" in text and "d* of p" in text


def test_malformed_line_reports_its_number(tmp_path, capsys):
    path = tmp_path / "bad.txt"
    path.write_text("1\n2\nthree\n")
    with pytest.raises(InputError) as err:
        geo.read_sample(path)
    assert err.value.line == 3
    path.write_text("1\n0\n")
    with pytest.raises(InputError, match=">= 1") as err:
        geo.read_sample(path)
    assert err.value.line == 2
    assert main(["solve", "geometric-mle", "--data", str(path)]) == 2
    assert f"{path}:2:" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    with pytest.raises(InputError, match="no values"):
        geo.read_sample(empty)
    with pytest.raises(InputError, match="strictly between"):
        geo.generate(10, 1.5)


def test_all_ones_gives_p_one():
    s = geo.Sample(np.ones(10, dtype=np.int64))
    assert geo.closed_form(s) == 1.0 and geo.log_likelihood(s, 1.0) == 0.0
    assert math.isinf(geo.log_likelihood(geo.Sample(np.array([1, 2])), 1.0))
