"""Renderers: tables -> figures, timeline.html, trace.json, index.html (last: it links the rest).

Each renderer reads only the tables and the manifest (the answer included:
tables/advice.csv), so `concprof report` can redo all of them from a run
directory. A renderer is a function of the RenderContext that adds what it
wrote to `ctx.outputs`; RENDERERS is the registry, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from profiler.render import figures, perfetto, report, timeline
from profiler.render.common import RenderContext

Renderer = Callable[[RenderContext], None]
RENDERERS: tuple[Renderer, ...] = (figures.render, timeline.render, perfetto.render, report.render)


def render_all(
    run_dir: Path, manifest: dict[str, Any], tables: dict[str, pd.DataFrame]
) -> dict[str, Any]:
    """Every output; returns {name: path(s)} of what was written."""
    ctx = RenderContext(run_dir, manifest, tables)
    for renderer in RENDERERS:
        renderer(ctx)
    return ctx.outputs
