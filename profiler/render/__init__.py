"""Renderers: tables -> figures, timeline.html, trace.json, index.html (last: it links the rest).

Each renderer reads only the run's analysis (profiler.analysis: its tables and its
answer) and the manifest, so `concprof report` can redo all of them from a run
directory. A renderer is a function of the RenderContext that adds what it
wrote to `ctx.outputs`; RENDERERS is the registry, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from profiler.analysis import RunAnalysis
from profiler.layout import RECORDING, RunDir
from profiler.render.figures import render_figures
from profiler.render.perfetto import render_trace
from profiler.render.report import render_report
from profiler.render.timeline import render_timeline
from profiler.spine import Manifest, RecordingManifest


@dataclass
class RenderContext:
    """What every renderer reads (the analysis and the manifest only) and what they wrote."""

    run_dir: Path
    manifest: Manifest | RecordingManifest
    analysis: RunAnalysis
    outputs: dict[str, Any] = field(default_factory=dict)  # name -> path(s), in render order

    @property
    def title(self) -> str:
        m = self.manifest
        if isinstance(m, RecordingManifest):
            return f"{m.name}: {' '.join(m.command)}"[:120]
        return f"{m.scenario.name}: {m.tasks} tasks, {m.workers} workers"

    @property
    def models(self) -> list[str]:
        """The `model` values of the tables' rows: the models, or a recording's one label."""
        m = self.manifest
        return [RECORDING] if isinstance(m, RecordingManifest) else list(m.models)


Renderer = Callable[[RenderContext], None]


def figures(ctx: RenderContext) -> None:
    cores = ctx.manifest.cpu_count or 1
    figs = render_figures(RunDir(ctx.run_dir).figures, ctx.analysis, ctx.title, cores)
    ctx.outputs["figures"] = figs


def timeline(ctx: RenderContext) -> None:
    ctx.outputs["timeline"] = render_timeline(ctx.run_dir, ctx.title, ctx.models, ctx.analysis)


def trace(ctx: RenderContext) -> None:
    ctx.outputs["trace"] = render_trace(ctx.run_dir, ctx.models, ctx.analysis)


def report(ctx: RenderContext) -> None:
    """Last: the report links every other output."""
    figs = ctx.outputs.get("figures", {})
    ctx.outputs["report"] = render_report(ctx.run_dir, ctx.manifest, ctx.analysis, figs)


RENDERERS: tuple[Renderer, ...] = (figures, timeline, trace, report)


def render_all(
    run_dir: Path, manifest: Manifest | RecordingManifest, analysis: RunAnalysis
) -> dict[str, Any]:
    """Every output; returns {name: path(s)} of what was written."""
    ctx = RenderContext(run_dir, manifest, analysis)
    for renderer in RENDERERS:
        renderer(ctx)
    return ctx.outputs
