"""Predicted against measured on every built-in scenario (analyse/predict.py).

Per scenario (SIZE=quick, REPEAT=3, every model it runs, perf and procfs: exact GIL shares
for the sequential run the prediction rests on): the predicted speedup, what limits it,
the measured speedup with its interval, their ratio, and whether they agree.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from profiler.analyse.predict import PREDICTION_COLUMNS
from profiler.load.run import load_run
from profiler.orchestrate.scenario import builtin_names
from profiler.orchestrate.session import profile
from profiler.spine import ProfileConfig

SKIP = {"fanout"}  # no sequential baseline
PREDICT_TEXT = (
    "Each built-in scenario at SIZE=quick, REPEAT=3, with perf and procfs; the prediction "
    "rests on the sequential run alone (its main thread's GIL-held and GIL-free shares, its "
    "task time) and, for processes, the pool's pickling and start-up measured in the "
    'processes run\'s observed run (docs/measurement.md, "Predicted against measured"). '
    "agrees: the prediction inside the measured 95% interval widened by the 5% margin."
)
COLUMNS = ["scenario", *PREDICTION_COLUMNS[: PREDICTION_COLUMNS.index("agrees") + 1]]


def bench_predict(reports: Path) -> pd.DataFrame:
    frames = []
    for name in builtin_names():
        if name in SKIP:
            continue
        config = ProfileConfig(
            scenario=name, size="quick", repeat=3, recorders="perf,procfs", reports=reports
        )
        try:
            run_dir, _ = profile(config, lambda step: None)
        except Exception as exc:  # a scenario that fails here is a row saying so
            frames.append(pd.DataFrame([{"scenario": name, "limited_by": f"failed: {exc}"}]))
            continue
        table = load_run(run_dir).prediction
        if table is not None:
            frames.append(table.assign(scenario=name))
    out = pd.concat(frames, ignore_index=True).reindex(columns=COLUMNS)
    return out.round(3)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        print(bench_predict(Path(tmp)).to_markdown(index=False))
