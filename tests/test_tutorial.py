"""The docs/ walkthrough runs end to end (quick sizes), so the tutorial cannot rot."""

import subprocess
import sys

from conftest import REPO


def test_tutorial_script_runs(tmp_path):
    md = tmp_path / "tutorial.md"
    proc = subprocess.run(
        [sys.executable, str(REPO / "docs" / "tutorial.py"), "--quick", "--out", str(tmp_path), "--markdown", str(md)],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    text = md.read_text()
    for heading in ("Maximum likelihood", "Shortest path", "Minimum spanning tree", "Tick 1", "GAN", "Beyond linear",
                    "Running the Tick 1 challenge"):
        assert heading in text
    assert "upper bound (optimum or proven bound)" in text and "too_slow on train: timeout" in text
    assert "objective 275" in text and "give 0 >= 1" in text and "indicator to big-M" in text
    assert '"certified": true' in text and "generated lazily" in text
    for png in ("bench-shortest-path.png", "seriation.png", "gan-ring8.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"

    # One section regenerated in place: the others stay byte for byte, the stale text of it goes.
    before = text.split("## 5. ")[0], text.split("## 6. ")[1]
    md.write_text(text.replace("## 6. ", "stale output\n\n## 6. "))
    proc = subprocess.run(
        [sys.executable, str(REPO / "docs" / "tutorial.py"), "--quick", "--out", str(tmp_path), "--markdown", str(md),
         "--section", "5"],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    again = md.read_text()
    assert "stale output" not in again and "## 5. The GAN as a Lagrangian" in again
    assert (again.split("## 5. ")[0], again.split("## 6. ")[1]) == before
    wrong = subprocess.run(
        [sys.executable, str(REPO / "docs" / "tutorial.py"), "--section", "99", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert wrong.returncode == 2 and "there are sections 1 to" in wrong.stderr
