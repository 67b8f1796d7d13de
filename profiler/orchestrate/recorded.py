"""A recording (`concprof record` / `attach`) once it has ended: its result document, tables
and outputs written, and the run marked complete; `concprof report` redoes the outputs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from profiler.analyse.run_tables import build_record_tables
from profiler.analysis import RunAnalysis
from profiler.atomic import write_json
from profiler.layout import RunDir
from profiler.orchestrate.lifecycle import finish_run
from profiler.orchestrate.manifest import save_analysis
from profiler.render import render_all
from profiler.spine import Recorded, RecordingManifest


def finish(recorded: Recorded) -> RunAnalysis:
    """Write the result document, the tables and the outputs, which show the run's final
    status; only then is that status written to run.json (a run that fails to render
    stays incomplete, with the reason)."""
    layout = RunDir(recorded.run_dir)
    manifest = recorded.manifest
    write_json(layout.recording, recorded.recording.to_json())
    manifest.save(layout.manifest)  # still "running"
    # an interrupted command's recording is whole up to the interrupt; the run is not
    final = replace(manifest, status="incomplete" if recorded.interrupted else "complete")
    return finish_run(
        layout, final, recorded.started, lambda m: rebuild_recording(recorded.run_dir, m)
    )


def rebuild_recording(run_dir: Path, manifest: RecordingManifest) -> RunAnalysis:
    """From raw/ to tables/ and the outputs."""
    tables = build_record_tables(run_dir, manifest)
    save_analysis(run_dir, tables)
    render_all(run_dir, manifest, tables)
    return tables
