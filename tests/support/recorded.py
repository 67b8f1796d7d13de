"""Recorded artifacts rebuilt into an analysis, for unit tests."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

from profiler.analyse.run_tables import model_tables
from profiler.analysis import RunAnalysis
from profiler.load.model_dir import load_recordings, recording_window
from profiler.spine import Recording

DATA = Path(__file__).resolve().parents[1] / "data"


def hog_analysis(directory: Path) -> RunAnalysis:
    """The tables of a real `concprof record` of tests/data/record_hog/hog.py (perf,
    py-spy, procfs): a thread that hogs the GIL and four that wake every millisecond.
    Its raw files are copied into `directory` (an empty one)."""
    for path in (DATA / "record_hog").iterdir():
        shutil.copy(path, directory / path.name)
    perf = directory / "perf.txt"
    perf.write_bytes(gzip.decompress((directory / "perf.txt.gz").read_bytes()))
    recording = Recording.from_json(json.loads((directory / "recording.json").read_text()))
    frames = model_tables(load_recordings(directory, recording_window(recording)), cpu_count=2)[0]
    return RunAnalysis.from_frames(frames)
