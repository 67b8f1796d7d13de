"""The page of a profile across interpreters (index.html of reports/<scenario>-across/<stamp>/)."""

from __future__ import annotations

import os

from profiler.layout import RunDir
from profiler.render.common import ENV
from profiler.spine import AcrossResult

SHOWN = [
    "interpreter",
    "model",
    "free_threaded",
    "wall_median_s",
    "speedup",
    "vs_sequential",
    "speedup_vs_first",
    "vs_first",
    "vs_fastest",
    "parallelism",
]


def across_html(result: AcrossResult) -> str:
    links = {
        label: os.path.relpath(RunDir(path).report, result.out_dir)
        for label, path in result.runs.items()
    }
    shown = result.table.reindex(columns=SHOWN).round(3).fillna("")
    return ENV.get_template("across.html").render(
        scenario=result.scenario,
        labels=result.labels,
        said=result.lines,
        columns=SHOWN,
        rows=shown.to_dict("records"),
        links=links,
        duration_s=result.duration_s,
    )
