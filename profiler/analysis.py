"""RunAnalysis: one run's analysis as one typed object, produced once by analysis
(profiler.analyse.run_tables) and read by the terminal, the HTML report, the claims page,
run.json and `profiler.load_run`.

Every table has its attribute (None: this run has no such table); the answer and a
recording's answer are typed (profiler.answer). The CSV/Parquet tables are how it is
saved and loaded (docs/run-directory.md), and for a user in pandas it is also a
read-only mapping from table name to DataFrame (`analysis["threads"]`), as before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields

import pandas as pd

from profiler.answer import Answer, RecordingAnswer

Frame = pd.DataFrame | None


@dataclass(eq=False)
class RunAnalysis(Mapping[str, pd.DataFrame]):
    # the timing runs (a profile)
    timing: Frame = None  # one row per timing run
    tasks: Frame = None  # one row per task
    workers: Frame = None  # one row per worker start
    comparison: Frame = None  # one row per model: speedup, interval, verdicts
    # what the observed runs measured (per model, per source)
    threads: Frame = None
    processes: Frame = None
    cores: Frame = None
    cores_timeline: Frame = None
    gil_intervals: Frame = None  # exact GIL (or lock) states per thread
    gil_stats: Frame = None
    checks: Frame = None
    stw_pauses: Frame = None  # a free-threaded build's stop-the-world pauses
    gil_wait_matrix: Frame = None  # who made whom wait (blame)
    gil_blame: Frame = None
    gil_blame_functions: Frame = None
    gil_ceiling: Frame = None
    function_spans: Frame = None  # a traced run's longest calls
    traced_threads: Frame = None
    ipc: Frame = None  # a process pool's pickling, per worker (analyse.ipc)
    ipc_spans: Frame = None  # every pickle and unpickle, for the timeline
    ipc_sites: Frame = None  # a recording: what its processes pickled, per call site
    loop_stalls: Frame = None  # asyncio: every callback that blocked the loop (analyse.loop)
    loop_stats: Frame = None  # per event loop: blocked share, steps, lag percentiles
    loop_lag: Frame = None  # per event loop: the worst lag over time
    loop_blockers: Frame = None  # the functions that blocked the loop, by stall time
    dask_tasks: Frame = None  # the dask model: every task as Dask's task stream saw it
    dask_workers: Frame = None  # the dask model: its cluster's workers (analyse.dask)
    prediction: Frame = None  # each model's speedup predicted from the sequential run
    claims: Frame = None  # the claims this run settles
    advice: Frame = None  # the answer in words, as saved (tables/advice.csv)
    # what it says
    answer: Answer | None = None
    recording: RecordingAnswer | None = None  # a recording's answer (record, attach)
    others: dict[str, pd.DataFrame] = field(default_factory=dict)  # tables of a newer concprof

    @classmethod
    def table_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.type in ("Frame", Frame))

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, pd.DataFrame],
        answer: Answer | None = None,
        recording: RecordingAnswer | None = None,
    ) -> RunAnalysis:
        known = set(cls.table_names())
        return cls(
            **{name: frame for name, frame in frames.items() if name in known},
            answer=answer,
            recording=recording,
            others={name: frame for name, frame in frames.items() if name not in known},
        )

    def frames(self) -> dict[str, pd.DataFrame]:
        """Every table this run has, by name (what tables/ holds)."""
        own = {name: getattr(self, name) for name in self.table_names()}
        return {**{k: v for k, v in own.items() if v is not None}, **self.others}

    def __getitem__(self, name: str) -> pd.DataFrame:
        frame = self.frames().get(name)
        if frame is None:
            raise KeyError(name)
        return frame

    def __iter__(self) -> Iterator[str]:
        return iter(self.frames())

    def __len__(self) -> int:
        return len(self.frames())
