"""A comparison of two runs in words (analyse.diff, orchestrate.compare_runs): one line
per model, the Markdown summary for a pull request (`--format markdown`), compare.json and
the offline page."""

from __future__ import annotations

import json
import os
from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from profiler.answer import known
from profiler.render.common import ENV
from profiler.spine import CompareResult


def model_change(r: Mapping[Hashable, Any]) -> str:
    """One model: NEW against BASE, with the interval and the verdict."""
    model = str(r["model"])
    if r["in_runs"] != "both":
        return f"{model}: in {r['in_runs'].replace(' only', '')} only: not compared"
    ratio = float(r["wall_ratio"])
    interval = (
        f" [{r['wall_ratio_ci_low']:.2f}–{r['wall_ratio_ci_high']:.2f}]"
        if known(r["wall_ratio_ci_low"])
        else ""
    )
    speedup = (
        f"; speedup {r['base_speedup']:.2f}x → {r['new_speedup']:.2f}x"
        if known(r["base_speedup"]) and known(r["new_speedup"])
        else ""
    )
    return f"{model}: {r['verdict']}, NEW takes {ratio:.2f}x BASE's time{interval}{speedup}"


def verdict_line(result: CompareResult) -> str:
    """What the comparison says first, and the gate's outcome."""
    slower = result.failing
    if result.table.empty:  # recordings: no timing runs, the blame is what they compare
        if result.blame.empty:
            return "nothing to compare: neither run has timing runs or a GIL blame (perf)"
        top = result.blame.iloc[0]
        return (
            f"{len(result.blame)} functions' GIL blame compared; the largest change: "
            f"{top['function']}, {top['base_waited_s']:.3f} s → {top['new_waited_s']:.3f} s "
            "of waiting caused"
        )
    counted = result.table["verdict"].value_counts()
    parts = ", ".join(f"{int(n)} {v}" for v, n in counted.items())
    if slower:
        return (
            f"slower in NEW: {', '.join(slower)} (beyond the {result.margin:.0%} margin); {parts}"
        )
    return f"no model is significantly slower in NEW ({parts}; margin {result.margin:.0%})"


def compare_markdown(result: CompareResult) -> str:
    """A summary for a pull-request comment."""
    lines = [
        f"### concprof: {result.title}",
        "",
        f"**{verdict_line(result)}**",
        "",
        "| model | verdict | NEW / BASE wall time | 95% CI | speedup BASE → NEW |",
        "|---|---|---|---|---|",
    ]
    for r in result.table.to_dict("records"):
        ci = (
            f"{r['wall_ratio_ci_low']:.2f}–{r['wall_ratio_ci_high']:.2f}"
            if known(r.get("wall_ratio_ci_low"))
            else ""
        )
        ratio = f"{r['wall_ratio']:.2f}x" if known(r.get("wall_ratio")) else ""
        speedup = (
            f"{r['base_speedup']:.2f}x → {r['new_speedup']:.2f}x"
            if known(r.get("base_speedup")) and known(r.get("new_speedup"))
            else ""
        )
        verdict = r["verdict"] if isinstance(r.get("verdict"), str) else r["in_runs"]
        lines.append(f"| {r['model']} | {verdict} | {ratio} | {ci} | {speedup} |")
    lines += [""] + [f"- warning: {w}" for w in [*result.mismatches, *result.warnings]]
    return "\n".join(lines).rstrip() + "\n"


def compare_doc(result: CompareResult) -> dict[str, Any]:
    """compare.json: what was compared, the verdicts, the gate."""
    return {
        "kind": "compare",
        "base": str(result.base),
        "new": str(result.new),
        "title": result.title,
        "margin": result.margin,
        "said": verdict_line(result),
        "failing": result.failing,
        "exit_code": result.exit_code,
        "mismatches": result.mismatches,
        "warnings": result.warnings,
        "models": _records(result.table),
        "blame": _records(result.blame),
    }


def compare_html(result: CompareResult) -> str:
    shown = result.table.round(3).astype(object).where(result.table.notna(), "")
    blame = result.blame.head(20).round(4)
    return ENV.get_template("compare.html").render(
        title=result.title,
        said=verdict_line(result),
        lines=[model_change(r) for r in result.table.to_dict("records")],
        warnings=[*result.mismatches, *result.warnings],
        columns=list(shown.columns),
        rows=shown.to_dict("records"),
        blame_columns=list(blame.columns),
        blame_rows=blame.to_dict("records"),
        base=os.path.relpath(result.base / "index.html", result.out_dir),
        new=os.path.relpath(result.new / "index.html", result.out_dir),
        failing=result.failing,
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(frame.to_json(orient="records"))
    return records
