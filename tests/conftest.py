import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("OPTMODEL_DATA", REPO.parent / "shared" / "data"))


def data_path(*parts: str) -> Path:
    """A file under the shared data folder, or skip the test with the reason."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not found at {path}; set OPTMODEL_DATA to the data folder")
    return path


def optima(folder: str) -> dict[str, float]:
    with open(data_path(folder, "optimal.csv")) as f:
        rows = list(csv.reader(f))
    header = rows[0]
    col = header.index("optimum") if "optimum" in header else 1
    return {r[0]: float(r[col]) for r in rows[1:] if r and not r[0].startswith("#")}
