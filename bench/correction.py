"""perf's hold share on `syscalls`, raw and corrected, against a plain program's user time.

The `syscalls` loop holds the GIL while it runs in user space and releases it
around the stat system call, so a plain loop doing the same work (no
recorder at all) bounds its unprobed hold share by its user-time share from
getrusage (user time also covers the few instructions of drop_gil and the
libc wrapper, which run without the GIL: the true share is a little lower).
perf's raw share is of a run stretched by its own probes; the corrected one
has every hit's cost carved out (docs/measurement.md).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd

from profiler.load.run import load_run
from profiler.orchestrate.interpreters import pyenv_versions
from profiler.orchestrate.session import profile
from profiler.spine import ProfileConfig

VERSIONS = ("3.10", "3.11", "3.12", "3.13")
PLAIN_RUNS = 5
PLAIN = """
import os, resource
for _ in range({runs}):
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(200_000):
        os.stat("/")
    after = resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    print(100.0 * user / (user + system))
"""


def plain_user_share(python: str) -> list[float]:
    done = subprocess.run(
        [python, "-c", PLAIN.format(runs=PLAIN_RUNS)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return [float(line) for line in done.stdout.split()]


def _perf_hold(reports: Path, python: str, bound: float) -> pd.Series:
    config = ProfileConfig(
        scenario="syscalls",
        models=("sequential",),
        size="quick",
        repeat=3,
        python=python,
        reports=reports,
        recorders="perf",
        max_slowdown=bound,
    )
    run_dir, _ = profile(config, lambda step: None)
    threads = load_run(run_dir)["threads"]
    main = threads[(threads["source"] == "perf") & (threads["thread_name"] == "MainThread")]
    return main.iloc[0]


def bench_correction(reports: Path) -> pd.DataFrame:
    rows = []
    installed = pyenv_versions()
    for version in VERSIONS:
        match = next((v for v in installed if v.startswith(version + ".")), None)
        if match is None:
            continue
        shares = plain_user_share(str(installed[match]))
        for bound, label in ((100.0, "whole run"), (1.5, "default bound")):
            main = _perf_hold(reports / f"{version}-{bound}", version, bound)
            rows.append(
                {
                    "python": match,
                    "perf traced": label,
                    "plain program: user-time share % (min–max of 5)": (
                        f"{min(shares):.1f}–{max(shares):.1f}"
                    ),
                    "perf raw hold %": round(float(main["gil_hold_raw_pct"]), 1),
                    "perf corrected hold %": round(float(main["gil_hold_pct"]), 1),
                    "corrected wait %": round(float(main["gil_wait_pct"]), 2),
                }
            )
    return pd.DataFrame(rows)
