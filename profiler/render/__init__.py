"""Renderers: tables -> figures, timeline.html, trace.json, index.html (last: it links the rest).

Each renderer reads only tables and the manifest, so `concprof report` can
redo all of them from a run directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from profiler.render.figures import render_figures
from profiler.render.perfetto import render_trace
from profiler.render.report import render_report
from profiler.render.timeline import render_timeline


def render_all(
    run_dir: Path, manifest: dict[str, Any], tables: dict[str, pd.DataFrame]
) -> dict[str, Path]:
    """Every output; returns {name: path} of the main files."""
    title = (
        f"{manifest['scenario']['name']}: {manifest['tasks']} tasks, {manifest['workers']} workers"
    )
    models = list(manifest.get("models", []))
    figures = render_figures(
        run_dir / "figures", tables, title, int(manifest.get("cpu_count") or 1)
    )
    outputs = {
        "timeline": render_timeline(run_dir, title, models, tables),
        "trace": render_trace(run_dir, models, tables),
    }
    outputs["report"] = render_report(run_dir, manifest, tables, figures)
    return outputs
