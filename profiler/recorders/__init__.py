"""Recorders, from exact to estimated: perf, py-spy, procfs, viztracer."""

from __future__ import annotations

from collections.abc import Callable

from profiler.errors import UsageError
from profiler.recorders.base import Availability, Sampler, Selection, Wrapper
from profiler.recorders.names import RECORDER_NAMES, parse_recorders
from profiler.recorders.perf.recorder import Perf
from profiler.recorders.procfs.recorder import ProcfsSampler
from profiler.recorders.pyspy.recorder import PySpy
from profiler.recorders.viztracer.recorder import VizTracer

WRAPPERS: dict[str, Callable[[], Wrapper]] = {"perf": Perf, "py-spy": PySpy, "viztracer": VizTracer}
SAMPLERS: dict[str, Callable[[], Sampler]] = {"procfs": ProcfsSampler}
assert set(WRAPPERS) | set(SAMPLERS) == set(RECORDER_NAMES)


def availability_of(name: str, python: str) -> Availability:
    maker = WRAPPERS.get(name) or SAMPLERS[name]
    return maker().available(python)


def select(text: str, python: str) -> Selection:
    """Build the recorders RECORDERS asks for; the unavailable ones say why."""
    wanted = parse_recorders(text)
    chosen = Selection()
    reasons: dict[str, str] = {}
    for name in RECORDER_NAMES:
        if wanted is not None and name not in wanted:
            chosen.not_used[name] = "not requested (RECORDERS)"
            continue
        if name in SAMPLERS:
            sampler = SAMPLERS[name]()
            availability = sampler.available(python)
            if availability.ok:
                chosen.samplers.append(sampler)
        else:
            wrapper = WRAPPERS[name]()
            availability = wrapper.available(python)
            if availability.ok:
                (chosen.exclusive if wrapper.exclusive else chosen.wrappers).append(wrapper)
        if not availability.ok:
            chosen.not_used[name] = availability.describe()
            reasons[name] = availability.reason
    if wanted and not chosen.used:  # asked for by name, and none of them can record here
        raise UsageError(
            "; ".join(f"{name} cannot record here: {chosen.not_used[name]}" for name in wanted)
        )
    chosen.fallbacks = fallback_notes(chosen, wanted, reasons)
    return chosen


def fallback_notes(
    chosen: Selection, wanted: list[str] | None, reasons: dict[str, str]
) -> list[str]:
    """One line for each recorder the user will miss: perf when chosen automatically (the
    exact tier; what stands in for it is named), every one asked for by name."""
    missing = [n for n in (wanted or ["perf"]) if n in reasons]
    instead = (
        "GIL shares from py-spy, sampled, with their error"
        if "py-spy" in chosen.used
        else "no GIL shares (py-spy cannot record either)"
    )
    return [
        f"{name}: {reasons[name]}"
        + (f": {instead}" if name == "perf" else "")
        + "; `concprof doctor` says how to enable it"
        for name in missing
    ]
