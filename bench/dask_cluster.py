"""The dask model against a plain Dask program, and the break-even task length, at two task
lengths (scenarios `tiny`, about 1 ms per task, and `chunky`, about 0.3 s).

For each scenario, PAIRS interleaved rounds, each process fresh: a plain program (it starts
a LocalCluster of 2 single-threaded workers on 127.0.0.1 as the dask model does, imports
the scenario file, then times `client.gather(client.map(task, range(n), pure=False))` and,
in the same process, the tasks in a plain loop), then concprof's runner with the dask model
and with the sequential model (timing runs, as `concprof profile` makes them). The per-task
overhead is o = 2·W/n − T/n (W: the map's median wall, T: the loop's; analyse/dask.py),
for the plain program and for concprof; the break-even task length is o / (2 − 1).
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
SCENARIOS = ("tiny", "chunky")
WORKERS = 2
DASK_TEXT = """For `tiny` (400 tasks of about 1 ms of pure Python) and `chunky` (8 tasks of
about 0.3 s), interleaved rounds, each in fresh processes: a plain Dask program (a
LocalCluster of 2 single-threaded workers on 127.0.0.1, `client.gather(client.map(task,
range(n), pure=False))` timed with perf_counter, then the same tasks in a plain loop), then
concprof's runner with the dask model and the sequential model (timing runs). plain_s and
concprof_s: median wall of the map; ratio = concprof / plain (target: within 1 ± 0.10);
overhead per task o = 2·W/n − T/n with T the plain loop's (plain) or the sequential model's
(concprof) median wall; break_even_ms = o / (2 − 1): Dask on this cluster beats one process
only for tasks longer than that."""

PLAIN = """
import importlib.util, json, logging, sys, time
from distributed import Client, LocalCluster

path, n, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
spec = importlib.util.spec_from_file_location("scenario_under_test", path)
module = importlib.util.module_from_spec(spec)
sys.modules["scenario_under_test"] = module
spec.loader.exec_module(module)
if __name__ == "__main__":
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    client.run(lambda: None)  # every worker up
    start = time.perf_counter()
    results = client.gather(client.map(module.task, range(n), pure=False))
    mapped = time.perf_counter() - start
    start = time.perf_counter()
    alone = [module.task(i) for i in range(n)]
    looped = time.perf_counter() - start
    assert results == alone
    client.close()
    cluster.close()
    print(json.dumps({"map_s": mapped, "loop_s": looped}))
"""


def _plain(path: str, n: int, script: Path) -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, str(script), path, str(n), str(WORKERS)],
        capture_output=True,
        text=True,
        check=True,
        cwd=script.parent,
    )
    doc = json.loads(done.stdout.strip().splitlines()[-1])
    return float(doc["map_s"]), float(doc["loop_s"])


def _runner(path: str, model: str, n: int, out: Path, path_dir: str) -> float:
    argv = [sys.executable, "-m", "profiler.workload.runner", "run", "--scenario", path]
    argv += ["--model", model, "--tasks", str(n), "--workers", str(WORKERS), "--out", str(out)]
    subprocess.run(argv, env=runner_env(path_dir), check=True, capture_output=True)
    doc = json.loads(out.read_text())
    if not doc["ok"]:
        raise RuntimeError(f"run failed: {doc['error']}")
    return float(doc["wall_s"])


def bench_dask(pairs: int) -> pd.DataFrame:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, package_path() as path_dir:
        script = Path(tmp) / "plain_dask.py"
        script.write_text(PLAIN)
        for name in SCENARIOS:
            scenario = load_scenario(name, sys.executable)
            n = scenario.tasks
            plain_map, plain_loop, mine, sequential = [], [], [], []
            for rep in range(pairs):
                m, lo = _plain(scenario.path, n, script)
                plain_map.append(m)
                plain_loop.append(lo)
                out = Path(tmp) / f"{name}-{rep}.json"
                mine.append(_runner(scenario.path, "dask", n, out, path_dir))
                sequential.append(_runner(scenario.path, "sequential", n, out, path_dir))
            w_plain, t_plain = statistics.median(plain_map), statistics.median(plain_loop)
            w_mine, t_mine = statistics.median(mine), statistics.median(sequential)
            o_plain = WORKERS * w_plain / n - t_plain / n
            o_mine = WORKERS * w_mine / n - t_mine / n
            rows.append(
                {
                    "scenario": name,
                    "tasks": n,
                    "task_ms": round(1e3 * t_mine / n, 3),
                    "plain_s": round(w_plain, 4),
                    "concprof_s": round(w_mine, 4),
                    "ratio": round(w_mine / w_plain, 3),
                    "plain_overhead_ms": round(1e3 * o_plain, 3),
                    "concprof_overhead_ms": round(1e3 * o_mine, 3),
                    "break_even_ms": round(1e3 * o_mine / (WORKERS - 1), 3),
                    "speedup": round(t_mine / w_mine, 2),
                }
            )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    print(bench_dask(int(sys.argv[1]) if len(sys.argv) > 1 else 5).to_markdown(index=False))
