"""The installed package: backends/ and problems/ live inside optmodel, never as top-level modules."""

import subprocess
import sys
import zipfile

from conftest import REPO


def test_wheel_has_only_the_optmodel_namespace(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
         str(REPO)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("optmodel-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"optmodel"}
    assert "optmodel/backends/highs.py" in names and "optmodel/problems/shortest_path.py" in names
