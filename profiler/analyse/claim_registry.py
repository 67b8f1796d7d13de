"""Every claim as a named object: its number, the scenario runs it is judged from, its judge.

The runs are keys of profiler.orchestrate.claims_run.CLAIM_RUNS (a scenario, or
`spawn:<method>`); tests/unit/test_claims.py checks the two registries agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import pandas as pd

from profiler.analyse import claims as c
from profiler.analyse import claims_ft as ft
from profiler.analyse.claims import CLAIM_COLUMNS, Claim, Runs


@dataclass(frozen=True)
class ClaimSpec:
    claim_id: int
    needs: tuple[str, ...]  # the scenario runs it is judged from
    judge: Callable[[Runs], Claim]


SPAWN_RUNS = ("spawn:fork", "spawn:spawn", "spawn:forkserver")
REGISTRY: tuple[ClaimSpec, ...] = (
    ClaimSpec(1, ("cpu",), c.claim_1),
    ClaimSpec(2, ("cpu",), c.claim_2),
    ClaimSpec(3, ("io",), c.claim_3),
    ClaimSpec(4, ("io",), c.claim_4),
    ClaimSpec(5, ("cpu",), c.claim_5),
    ClaimSpec(6, SPAWN_RUNS, c.claim_6),
    ClaimSpec(7, ("ipc",), c.claim_7),
    ClaimSpec(8, ("fanout",), c.claim_8),
    ClaimSpec(9, ("cpu", "gil"), c.claim_9),
    ClaimSpec(10, ("release", "holds"), c.claim_10),
    ClaimSpec(11, (ft.FT_CPU,), ft.claim_11),
    ClaimSpec(12, (ft.GIL_CPU, ft.FT_CPU), ft.claim_12),
    ClaimSpec(13, (ft.FT_SHARED, ft.FT_CPU), ft.claim_13),
    ClaimSpec(14, ("blocking",), c.claim_14),
    ClaimSpec(15, ("tiny", "chunky"), c.claim_15),
)


def judge(runs: Runs) -> pd.DataFrame:
    """Every claim, judged from the runs there are (missing runs: inconclusive)."""
    return pd.DataFrame([asdict(spec.judge(runs)) for spec in REGISTRY], columns=CLAIM_COLUMNS)
