"""The tables of a recording (`concprof record` / `attach`): one observed run, no models to
compare; threads, processes, cores, GIL intervals and the GIL's blame and ceiling."""

from __future__ import annotations

from pathlib import Path

from profiler.analyse.run_tables import model_tables
from profiler.errors import RunFailed
from profiler.layout import RunDir
from profiler.load.model_dir import load_recordings
from profiler.load.runner_json import read_result
from profiler.schema import PROCESS_COLUMNS, THREAD_COLUMNS
from profiler.spine import Manifest, RunTables


def build_record_tables(run_dir: Path, manifest: Manifest) -> RunTables:
    """Every table of a recording, from its raw/ files."""
    (model,) = manifest.models
    files = RunDir(run_dir).model_raw(model)
    doc = read_result(files.observed)
    if doc is None:
        raise RunFailed(f"{run_dir} holds no recording ({files.observed} is missing)")
    per_model, _perf = model_tables(
        load_recordings(model, files.root, doc), manifest.cpu_count or 1
    )
    tables = RunTables(per_model)
    if "threads" in tables:
        tables["threads"] = tables["threads"].reindex(columns=THREAD_COLUMNS)
    if "processes" in tables:
        tables["processes"] = tables["processes"].reindex(columns=PROCESS_COLUMNS)
    return tables
