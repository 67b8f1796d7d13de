"""The registry of recorders: each package's Source, in the order their tables are built
(procfs first: py-spy reads when each process was last seen). The only module outside a
recorder's folder that names them; adding a recorder adds its package and one line here."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from profiler.errors import UsageError
from profiler.recorders import perf, procfs, pyspy, viztracer
from profiler.recorders.base import Availability, Sampler, Selection, Wrapper
from profiler.recorders.names import RECORDER_NAMES, parse_recorders
from profiler.recorders.source_tables import AnySource
from profiler.workload.documents import ThreadRecord

SOURCES: tuple[AnySource, ...] = (procfs.SOURCE, pyspy.SOURCE, perf.SOURCE, viztracer.SOURCE)
assert {s.name for s in SOURCES} == set(RECORDER_NAMES)

WRAPPERS: dict[str, Callable[[], Wrapper]] = {s.name: s.wrapper for s in SOURCES if s.wrapper}
SAMPLERS: dict[str, Callable[[], Sampler]] = {s.name: s.sampler for s in SOURCES if s.sampler}
# the row to prefer (`best`) when several recorders measured the same thing: exact first
SOURCE_RANK: dict[str, int] = {name: rank for rank, name in enumerate(RECORDER_NAMES)}
EXACT: frozenset[str] = frozenset(s.name for s in SOURCES if s.exact)
# the cheapest observed run: what needs the run observed, not a recorder's view of it (the
# event-loop monitor, the pickling accounting)
LIGHTEST: str = procfs.SOURCE.name


def best_source(sources: Iterable[object]) -> str | None:
    """The most exact of the recorders named in `sources` (e.g. a table's source column)."""
    ranked = sorted({str(n) for n in sources} & set(SOURCE_RANK), key=SOURCE_RANK.__getitem__)
    return ranked[0] if ranked else None


def prepare(chosen: Selection) -> list[str]:
    """What the chosen recorders set up on the machine before a run, a line each."""
    used = set(chosen.used)
    return [note for s in SOURCES if s.name in used and (note := s.prepare()) is not None]


def sweep() -> list[str]:
    """What dead concprof runs left behind (probes), removed; a line each."""
    return [note for s in SOURCES for note in s.sweep()]


def teardowns(chosen: Selection, owner_pid: int) -> list[list[str]]:
    """The commands that undo what the chosen recorders leave if concprof (owner_pid) dies."""
    used = set(chosen.used)
    return [cmd for s in SOURCES if s.name in used and (cmd := s.teardown(owner_pid))]


def machine_checks() -> list[tuple[str, bool, str]]:
    """`concprof doctor`'s rows the recorders add (what this user may do with them)."""
    return [row for s in SOURCES for row in s.checks()]


def named_threads(pid: int) -> list[ThreadRecord]:
    """Every Python thread of a running tree with its name, from the first recorder that can
    name them ([] when none can)."""
    for source in SOURCES:
        if source.names_threads is not None and (named := source.names_threads(pid)):
            return named
    return []


def how_measured(source: str | None, what: str) -> str:
    """ "<recorder> (<how it measures what>)", for a report's caption."""
    if source is None:
        return "no recorder"
    how = next((s.how.get(what, "") for s in SOURCES if s.name == source), "")
    return f"{source} ({how})" if how else source


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
