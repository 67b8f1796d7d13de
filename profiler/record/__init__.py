"""Recorders, from exact to estimated: perf, py-spy, procfs, viztracer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from profiler.errors import UsageError
from profiler.record.base import Availability, Sampler, Wrapper
from profiler.record.perf import Perf
from profiler.record.procfs import ProcfsSampler
from profiler.record.pyspy import PySpy
from profiler.record.viztracer import VizTracer

WRAPPERS: dict[str, Callable[[], Wrapper]] = {"perf": Perf, "py-spy": PySpy, "viztracer": VizTracer}
SAMPLERS: dict[str, Callable[[], Sampler]] = {"procfs": ProcfsSampler}
RECORDER_NAMES: tuple[str, ...] = ("perf", "py-spy", "procfs", "viztracer")


@dataclass
class Selection:
    """The recorders that will run, and those that will not (with the reason)."""

    wrappers: list[Wrapper] = field(default_factory=list)  # share the observed run
    exclusive: list[Wrapper] = field(default_factory=list)  # each gets a run of its own
    samplers: list[Sampler] = field(default_factory=list)
    not_used: dict[str, str] = field(default_factory=dict)

    @property
    def used(self) -> list[str]:
        return [
            *(w.name for w in self.wrappers),
            *(s.name for s in self.samplers),
            *(w.name for w in self.exclusive),
        ]


def parse_recorders(text: str) -> list[str] | None:
    """None for auto; [] for none; else the validated names."""
    text = text.strip()
    if text in ("", "auto"):
        return None
    if text == "none":
        return []
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in RECORDER_NAMES]
    if unknown:
        raise UsageError(
            f"unknown recorder {', '.join(unknown)}; choose auto, none, or from: "
            f"{', '.join(RECORDER_NAMES)}"
        )
    return names


def availability_of(name: str, python: str) -> Availability:
    maker = WRAPPERS.get(name) or SAMPLERS[name]
    return maker().available(python)


def select(text: str, python: str) -> Selection:
    """Build the recorders RECORDERS asks for; the unavailable ones say why."""
    wanted = parse_recorders(text)
    chosen = Selection()
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
    return chosen
