"""`concprof report` re-renders every kind of directory concprof writes.

GIVEN a profile (the golden run), an across-interpreter comparison (built from the
recorded tables in tests/data/across_noisy, saved as `profile --python A,B` saves
it), a claims directory (saved as `concprof claims` saves it) and a comparison of two
runs (`concprof compare`, the golden run against itself), WHEN `concprof
report DIR` runs in-process, THEN it exits 0 and writes the directory's page
again; a directory that is not a run is a one-line usage error (exit 2).
(Recordings and attaches: tests/integration/test_lifecycle.py.)
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest

from profiler.analyse.across import across, lines
from profiler.analyse.claim_registry import judge
from profiler.cli import main
from profiler.orchestrate.across import save_across
from profiler.orchestrate.claims_run import environment, save_claims
from profiler.spine import AcrossResult, ClaimsResult, CompareManifest, load_manifest
from tests.conftest import DATA


def report(run: Path) -> str:
    (run / "index.html").unlink(missing_ok=True)
    assert main(["report", str(run)]) == 0
    return (run / "index.html").read_text()


def golden(tmp_path: Path) -> Path:
    run = tmp_path / "golden"
    shutil.copytree(DATA / "golden_run", run)
    for packed in run.rglob("*.gz"):
        packed.with_suffix("").write_bytes(gzip.decompress(packed.read_bytes()))
    return run


def test_a_profile(tmp_path: Path) -> None:
    assert "threads" in report(golden(tmp_path))


def test_a_comparison(tmp_path: Path) -> None:
    run = golden(tmp_path)
    out = tmp_path / "reports"
    assert main(["compare", str(run), str(run), "--out", str(out), "--format", "text"]) == 0
    (done,) = (out / "compare").glob("2*")
    saved = load_manifest(done / "run.json")
    assert isinstance(saved, CompareManifest) and saved.status == "complete"
    assert saved.base == saved.new == str(run.resolve()) and saved.failing == []
    page = report(done)
    assert "threads" in page and "no model is significantly slower" in page


def test_an_across_directory(tmp_path: Path) -> None:
    labels = ["3.13.5", "3.13t"]
    root = DATA / "across_noisy"
    timings = {k: pd.read_csv(root / k / "timing.csv") for k in labels}
    comparisons = {k: pd.read_csv(root / k / "comparison.csv") for k in labels}
    table = across(labels, timings, comparisons, margin=0.05)
    out = tmp_path / "cpu-across"
    out.mkdir()
    runs = {k: tmp_path / k for k in labels}
    save_across(AcrossResult(out, labels, runs, table, lines(table), 1.0, "cpu"), "cpu")
    page = report(out)
    assert "3.13t" in page and "3.13.5" in page


def test_a_claims_directory(tmp_path: Path) -> None:
    out = tmp_path / "claims"
    out.mkdir()
    claims = judge({})  # nothing measured: every claim says so
    save_claims(ClaimsResult(out, claims, {}, 1.0, environment()), "quick")
    page = report(out)
    assert str(claims["claim"].iloc[0])[:20] in page


def test_not_a_run_directory_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "is not a run directory" in err
