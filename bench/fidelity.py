"""Harness fidelity: concprof's timing run against a plain program doing the same work.

For each workload and model, PAIRS interleaved pairs of runs, each in a fresh
interpreter: `python -m profiler.workload.runner run` (what a timing run executes) and
bench/plain.py (submit every task to a concurrent.futures pool, or gather them
under an asyncio semaphore, then collect the results). The ratio of the median
wall times is the harness's effect on the measurement (target <= 1.05); the
difference per task is the harness's cost per task.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from profiler.orchestrate.launch import package_path, runner_env

ROOT = Path(__file__).resolve().parent.parent
BENCH_SCENARIOS = ROOT / "bench" / "scenarios"
MODELS = ("sequential", "threads", "processes", "asyncio")
TARGET_RATIO = 1.05
SHORT_S, SHORT_PAIRS = 0.1, 15
FIDELITY_TEXT = """For each workload and model, interleaved pairs of runs, each in a fresh
interpreter:
concprof's timing run (`python -m profiler.workload.runner run`, what `make profile` times) and
bench/plain.py, the program a user would write (`ThreadPoolExecutor.submit` /
`ProcessPoolExecutor.submit` then each `result()`, a loop for sequential, `asyncio.gather`
under a semaphore). Both time only the model run (pool start to shutdown). ratio =
concprof's median wall / the plain program's; harness_us_per_task = the difference per
task; ratio_ci its 95% bootstrap interval. Rows whose plain run lasts under 0.1 s get 15
pairs. Target: ratio at most 1.05 in every row. A timing run submits each task as it is
and collects results in order; it reads no clock per task (observed runs add two clock
reads per task for tasks.csv) and reads CPU and memory once per process."""


@dataclass(frozen=True)
class Workload:
    label: str
    path: Path
    tasks: int
    workers: int


WORKLOADS = (
    Workload("1,000 trivial tasks", BENCH_SCENARIOS / "trivial.py", 1_000, 2),
    Workload("10,000 trivial tasks", BENCH_SCENARIOS / "trivial.py", 10_000, 2),
    Workload("100,000 trivial tasks", BENCH_SCENARIOS / "trivial.py", 100_000, 2),
    Workload("2,000 tasks returning 128 KB", BENCH_SCENARIOS / "payload.py", 2_000, 2),
    Workload("half sleep, half Python, 8 workers", BENCH_SCENARIOS / "halfsleep.py", 400, 8),
    Workload("cpu (default size)", ROOT / "scenarios" / "cpu.py", 8, 2),
    Workload("io (default size)", ROOT / "scenarios" / "io.py", 64, 16),
)


def concprof_wall_s(w: Workload, model: str, path_dir: str, out: Path) -> float:
    argv = [sys.executable, "-m", "profiler.workload.runner", "run", "--scenario", str(w.path)]
    argv += ["--model", model, "--tasks", str(w.tasks), "--workers", str(w.workers)]
    argv += ["--start-method", "fork", "--out", str(out)]
    subprocess.run(argv, env=runner_env(path_dir), check=True, capture_output=True)
    doc = json.loads(out.read_text())
    if not doc["ok"]:
        raise RuntimeError(f"concprof run failed: {doc['error']}")
    return float(doc["wall_s"])


def plain_wall_s(w: Workload, model: str) -> float:
    argv = [sys.executable, str(ROOT / "bench" / "plain.py"), str(w.path), model]
    argv += [str(w.tasks), str(w.workers)]
    done = subprocess.run(argv, check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


def ratio_interval(ours: list[float], plain: list[float]) -> tuple[float, float]:
    """95% bootstrap interval of median(ours) / median(plain), as the profile's speedups."""
    rng = np.random.default_rng(0)
    a, b = np.array(ours), np.array(plain)
    ratios = np.median(a[rng.integers(0, len(a), (4000, len(a)))], axis=1) / np.median(
        b[rng.integers(0, len(b), (4000, len(b)))], axis=1
    )
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


def bench_fidelity(pairs: int = 5, workloads: tuple[Workload, ...] = WORKLOADS) -> pd.DataFrame:
    """Each workload under each model; short runs (under SHORT_S) get SHORT_PAIRS pairs."""
    rows = []
    with package_path() as path_dir, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.json"
        for w in workloads:
            for model in MODELS:
                ours: list[float] = []
                plain: list[float] = []
                started = time.monotonic()
                wanted, pair = pairs, 0
                while pair < wanted:  # alternate the order, so drift hits both alike
                    if pair % 2 == 0:
                        ours.append(concprof_wall_s(w, model, path_dir, out))
                        plain.append(plain_wall_s(w, model))
                    else:
                        plain.append(plain_wall_s(w, model))
                        ours.append(concprof_wall_s(w, model, path_dir, out))
                    if pair == 0 and plain[0] < SHORT_S:
                        wanted = max(pairs, SHORT_PAIRS)
                    pair += 1
                median_ours, median_plain = statistics.median(ours), statistics.median(plain)
                low, high = ratio_interval(ours, plain)
                rows.append(
                    {
                        "workload": w.label,
                        "model": model,
                        "tasks": w.tasks,
                        "workers": w.workers,
                        "pairs": wanted,
                        "plain_median_s": round(median_plain, 4),
                        "concprof_median_s": round(median_ours, 4),
                        "ratio": round(median_ours / median_plain, 3),
                        "ratio_ci": f"{low:.2f}–{high:.2f}",
                        "harness_us_per_task": round(
                            (median_ours - median_plain) / w.tasks * 1e6, 2
                        ),
                        "within_target": median_ours / median_plain <= TARGET_RATIO,
                    }
                )
                print(
                    f"  fidelity {w.label} / {model}: {rows[-1]['ratio']}x "
                    f"[{rows[-1]['ratio_ci']}] ({time.monotonic() - started:.0f} s)",
                    file=sys.stderr,
                )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(bench_fidelity(pairs).to_markdown(index=False))
