"""index.html: the self-contained report (figures inlined, works offline)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from profiler.analyse.advice import recommend
from profiler.render.figures import render_figures
from profiler.rundir import write_atomic

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("profiler.render", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _cells(frame: pd.DataFrame) -> list[dict[str, str]]:
    def fmt(value: Any) -> str:
        if isinstance(value, float):
            return "" if pd.isna(value) else f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
        return str(value)

    return [{str(c): fmt(v) for c, v in row.items()} for row in frame.to_dict("records")]


def render_report(run_dir: Path, manifest: dict[str, Any], tables: dict[str, pd.DataFrame]) -> Path:
    """Figures under figures/ and the report index.html; returns the report's path."""
    comparison = tables["comparison"]
    title = (
        f"{manifest['scenario']['name']}: {manifest['tasks']} tasks, {manifest['workers']} workers"
    )
    figures = render_figures(run_dir / "figures", tables["timing"], comparison, title)
    answer = recommend(comparison)
    files = sorted(
        str(p.relative_to(run_dir))
        for p in run_dir.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.parent.name != "timing"
    )
    html = _ENV.get_template("report.html").render(
        m=manifest,
        answer=answer,
        comparison_columns=list(comparison.columns),
        comparison_rows=_cells(comparison),
        images=[(name, _data_uri(paths[0])) for name, paths in figures.items()],
        files=[f for f in files if f != "index.html"],
        run_dir=str(run_dir),
    )
    return write_atomic(run_dir / "index.html", html)
