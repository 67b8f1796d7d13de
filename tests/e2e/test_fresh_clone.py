"""The README's command, in a fresh clone: `make profile SCENARIO=io SIZE=quick`.

A real clone of this repository's HEAD, with its own new .venv built by the
Makefile (as a new user would), so it also checks that the Makefile installs
everything the project needs, quietly (no build warning on the first screen).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def test_make_profile_io_quick_in_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    done = subprocess.run(
        ["make", "profile", "SCENARIO=io", "SIZE=quick"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    run = clone / "reports" / "io" / "latest"
    for name in (
        "run.json",
        "index.html",
        "tables/timing.csv",
        "tables/comparison.csv",
        "tables/comparison.parquet",
        "figures/speedup.png",
        "figures/speedup.svg",
    ):
        assert (run / name).is_file(), name
    assert "fastest:" in done.stdout
    # the install is quiet: one line, pip's output in .venv/pip.log; no build warning shown
    installing = done.stdout.split(" -m profiler profile")[0]
    assert "warn" not in installing.lower(), installing[-3000:]
    for build in ("BuildBackendWarning", "DeprecationWarning", "WARNING:"):  # pip, setuptools
        assert build not in done.stderr, done.stderr[-3000:]
    assert (clone / ".venv" / "pip.log").is_file()
    assert "http" not in (run / "index.html").read_text().split("<body>")[0], (
        "report must work offline"
    )
