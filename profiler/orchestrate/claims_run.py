"""`concprof claims`: run the scenarios the claims need, judge them, write the evidence.

`run_claims` is given the profile function (profiler.orchestrate.session.profile, by the CLI).

Each scenario run is an ordinary profile (its own run directory under
reports/<scenario>/); the claims report goes to reports/claims/<stamp>/ and,
when asked, to a Markdown page (docs/claims.md).
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from profiler.analyse.claim_registry import judge
from profiler.analysis import RunAnalysis
from profiler.atomic import write_atomic
from profiler.errors import UsageError
from profiler.layout import RunDir
from profiler.orchestrate.interpreters import resolve_python
from profiler.orchestrate.lifecycle import RunSession
from profiler.recorders import LIGHTEST
from profiler.render.claims import claims_html
from profiler.rundir import write_table
from profiler.spine import ClaimsManifest, ClaimsResult, ProfileConfig, ProfileFn, ProgressFn, Step

OBSERVED = "perf,py-spy,procfs"


@dataclass(frozen=True)
class ClaimRun:
    key: str
    scenario: str
    models: tuple[str, ...] | None = None
    workers: int | None = None
    start_method: str | None = None
    recorders: str = "none"
    python: str | None = None  # None: the claims run's interpreter


CLAIM_RUNS = [
    ClaimRun("cpu", "cpu", workers=2, recorders=OBSERVED),
    ClaimRun("io", "io", recorders=OBSERVED),
    ClaimRun("gil", "gil", models=("threads",), recorders=OBSERVED),
    ClaimRun("ipc", "ipc"),
    ClaimRun("fanout", "fanout"),
    ClaimRun("blocking", "blocking", models=("asyncio",), recorders=LIGHTEST),  # loop monitor
    ClaimRun("release", "release", models=("threads", "processes"), workers=2),
    ClaimRun("holds", "holds", models=("threads", "processes"), workers=2),
    ClaimRun("tiny", "tiny", models=("processes", "dask"), workers=2),  # a LocalCluster
    ClaimRun("chunky", "chunky", models=("processes", "dask"), workers=2),
    *(
        ClaimRun(f"spawn:{m}", "spawn", models=("threads", "processes"), start_method=m)
        for m in ("fork", "spawn", "forkserver")
    ),
    # the free-threaded build beside its GIL twin (make python-ft); skipped where not built
    ClaimRun("cpu@3.13t", "cpu", models=("threads",), workers=2, python="3.13t"),
    ClaimRun("cpu@3.13.5", "cpu", models=("threads",), workers=2, python="3.13.5"),
    ClaimRun("shared@3.13t", "shared", models=("threads",), workers=2, python="3.13t"),
]


def run_claims(
    profile: ProfileFn,
    size: str,
    reports: Path,
    python: str | None,
    progress: ProgressFn,
    announce: ProgressFn | None = None,
) -> ClaimsResult:
    started = time.time()
    runs: dict[str, RunAnalysis] = {}
    run_dirs: dict[str, Path] = {}
    for spec in CLAIM_RUNS:
        if spec.python and not _resolves(spec.python):
            continue  # its claims say "not measured" and how to build it
        config = ProfileConfig(
            scenario=spec.scenario,
            models=spec.models,
            size=size,
            workers=spec.workers,
            start_method=spec.start_method,
            recorders=spec.recorders,
            reports=reports,
            python=spec.python or python,
        )
        if announce is not None:
            announce(Step("scenario", spec.key, 0, 0, 0, None, True))
        run_dirs[spec.key], runs[spec.key] = profile(config, progress)
    claims = judge(runs)
    out_dir = RunSession(reports, "claims", progress, started=started).run_dir
    result = ClaimsResult(out_dir, claims, run_dirs, time.time() - started, environment())
    save_claims(result, size)
    return result


def save_claims(result: ClaimsResult, size: str) -> None:
    """run.json, tables/claims.csv and index.html of a claims directory."""
    write_table(result.out_dir, "claims", result.claims)
    write_atomic(RunDir(result.out_dir).report, claims_html(result))
    ClaimsManifest(
        size=size,
        runs={k: str(v) for k, v in result.run_dirs.items()},
        environment=result.environment,
        duration_s=round(result.duration_s, 1),
    ).save(RunDir(result.out_dir).manifest)


def rebuild_claims(out_dir: Path, saved: ClaimsManifest) -> ClaimsResult:
    """`concprof report` on a claims directory: its page again, from tables/claims.csv."""
    claims = pd.read_csv(RunDir(out_dir).tables / "claims.csv")
    runs = {k: Path(v) for k, v in saved.runs.items()}
    result = ClaimsResult(out_dir, claims, runs, saved.duration_s, saved.environment)
    write_atomic(RunDir(out_dir).report, claims_html(result))
    return result


def _resolves(python: str) -> bool:
    try:
        resolve_python(python)
    except UsageError:
        return False
    return True


def environment() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
    }
