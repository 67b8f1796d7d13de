"""What the event-loop monitor (profiler/workload/hook/concprof_loop.py) costs an asyncio run.

For every built-in scenario at size quick, PAIRS interleaved triples of runs of the
asyncio model, each in a fresh interpreter (`python -m profiler.workload.runner run`):
the timing run as it is, the observed run without the monitor (`--task-times`: two clock
reads per task) and the observed run with it (`--loop-stall-ms 10`, what the profile's
observed run does). monitor_ratio = with / without the monitor (its own cost);
observed_ratio = with the monitor / the timing run (what --max-slowdown bounds);
us_per_callback = the monitor's cost per callback it timed.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from profiler.orchestrate.launch import package_path, runner_env
from profiler.orchestrate.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
LOOP_TEXT = """For every built-in scenario at size quick, interleaved triples of runs of the
asyncio model, each in a fresh interpreter: the timing run, the observed run without the
monitor (`--task-times`) and with it (`--loop-stall-ms 10`, what a profile's observed run
does). monitor_ratio = median wall with the monitor / without it; observed_ratio = with
the monitor / the timing run (what `--max-slowdown` bounds, 1.5 by default);
us_per_callback = the difference with and without the monitor per callback it timed
(steps; only where there are at least 1,000). Target: observed_ratio at most 1.10 where
the loop runs more than a few thousand callbacks a second, and every row within the 1.5
bound. A scenario without an
`atask` runs its plain `task` on the loop, one callback for the whole run: a profile does
not monitor it (these rows measured the monitor watching that one callback)."""


def _wall_s(
    path: str, tasks: int, workers: int, out: Path, path_dir: str, *extra: str
) -> tuple[float, int]:
    argv = [sys.executable, "-m", "profiler.workload.runner", "run", "--scenario", path]
    argv += ["--model", "asyncio", "--tasks", str(tasks), "--workers", str(workers)]
    argv += ["--out", str(out), *extra]
    subprocess.run(argv, env=runner_env(path_dir), check=True, capture_output=True)
    doc = json.loads(out.read_text())
    if not doc["ok"]:
        raise RuntimeError(f"run failed: {doc['error']}")
    steps = sum(int(loop["steps"]) for loop in doc.get("loops", []))
    return float(doc["wall_s"]) / max(1, int(doc.get("passes", 1))), steps


def bench_loop(pairs: int = 5) -> pd.DataFrame:
    rows = []
    with package_path() as path_dir, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run.json"
        for path in sorted((ROOT / "scenarios").glob("*.py")):
            scenario = load_scenario(str(path), sys.executable)
            if scenario.models and "asyncio" not in scenario.models:
                continue
            workers = scenario.resolve_workers(None)
            tasks = scenario.tasks_for("quick", workers)
            timing, plain, monitored, steps = [], [], [], 0
            for _ in range(pairs):
                timing.append(_wall_s(str(path), tasks, workers, out, path_dir)[0])
                plain.append(_wall_s(str(path), tasks, workers, out, path_dir, "--task-times")[0])
                wall, steps = _wall_s(
                    str(path), tasks, workers, out, path_dir,
                    "--task-times", "--loop-stall-ms", "10",
                )  # fmt: skip
                monitored.append(wall)
            t, p, m = (statistics.median(v) for v in (timing, plain, monitored))
            rows.append(
                {
                    "scenario": path.stem,
                    "tasks": tasks,
                    "steps": steps,
                    "pairs": pairs,
                    "timing_s": round(t, 4),
                    "observed_without_s": round(p, 4),
                    "observed_with_s": round(m, 4),
                    "monitor_ratio": round(m / p, 3),
                    "observed_ratio": round(m / t, 3),
                    # per callback only where there are enough for a difference to mean it
                    "us_per_callback": round((m - p) / steps * 1e6, 2) if steps >= 1000 else None,
                }
            )
            print(f"  loop {path.stem}: {rows[-1]}", file=sys.stderr)
    return pd.DataFrame(rows)
