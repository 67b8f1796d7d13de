"""A run directory's analysis back in memory: `profiler.load_run(path)` (docs/api.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from profiler.analysis import RunAnalysis
from profiler.answer import Answer
from profiler.errors import reading
from profiler.layout import RunDir
from profiler.rundir import read_doc


def load_run(path: str | os.PathLike[str]) -> RunAnalysis:
    """The run's tables as DataFrames (attributes, and keyed by table name) and its answer.

    >>> run = load_run("reports/io/latest")          # doctest: +SKIP
    >>> run.comparison[["model", "speedup"]]         # doctest: +SKIP
    >>> run["comparison"]                            # doctest: +SKIP (the same table)
    """
    layout = RunDir(Path(path))
    if not layout.tables.is_dir():
        raise FileNotFoundError(f"{path} is not a run directory (no tables/ inside)")
    frames: dict[str, pd.DataFrame] = {}
    for parquet in sorted(layout.tables.glob("*.parquet")):
        frames[parquet.stem] = pd.read_parquet(parquet)
    for csv in sorted(layout.tables.glob("*.csv")):
        if csv.stem not in frames:
            frames[csv.stem] = pd.read_csv(csv)
    doc = read_doc(layout.manifest) or {}
    with reading(layout.manifest):
        answer = Answer.read(doc.get("advice"))
    return RunAnalysis.from_frames(frames, answer=answer)
