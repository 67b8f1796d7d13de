"""A run directory's tables back in memory: `profiler.load_run(path)` (docs/api.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from profiler.layout import RunDir
from profiler.spine import RunTables


def load_run(path: str | os.PathLike[str]) -> RunTables:
    """The tables of a run directory as DataFrames, keyed by table name (a RunTables).

    >>> tables = load_run("reports/io/latest")      # doctest: +SKIP
    >>> tables["comparison"][["model", "speedup"]]  # doctest: +SKIP
    """
    tables = RunDir(Path(path)).tables
    if not tables.is_dir():
        raise FileNotFoundError(f"{path} is not a run directory (no tables/ inside)")
    frames = RunTables()
    for parquet in sorted(tables.glob("*.parquet")):
        frames[parquet.stem] = pd.read_parquet(parquet)
    for csv in sorted(tables.glob("*.csv")):
        if csv.stem not in frames:
            frames[csv.stem] = pd.read_csv(csv)
    return frames
