"""A run directory recorded with every recorder, re-analysed: the same tables as when recorded.

tests/data/golden_run holds the raw files of a real run (perf, py-spy, procfs,
viztracer; two models, three timing runs each; scenario.py is what ran) and
the tables concprof wrote then. Restructuring the pipeline must not change a
number: the tables rebuilt from the raw files equal the recorded ones. A change
that is meant to change them re-records the directory (see development.md).
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
from pandas.testing import assert_frame_equal

from profiler.analyse.run_tables import build_tables
from profiler.answer import Answer
from profiler.rundir import write_table
from tests.conftest import DATA

GOLDEN = DATA / "golden_run"


def test_a_recorded_run_rebuilds_the_same_tables(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(GOLDEN, run, ignore=shutil.ignore_patterns("tables"))
    for packed in run.rglob("*.gz"):  # kept small in the repository
        packed.with_suffix("").write_bytes(gzip.decompress(packed.read_bytes()))
        packed.unlink()
    tables = build_tables(run)
    recorded = {p.stem for p in (GOLDEN / "tables").glob("*.csv")}
    assert set(tables) == recorded
    for name, frame in tables.items():
        write_table(run, name, frame)
        got = pd.read_csv(run / "tables" / f"{name}.csv")
        expected = pd.read_csv(GOLDEN / "tables" / f"{name}.csv")
        assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9, obj=name)


def test_the_saved_answer_reads_back_as_computed(tmp_path: Path) -> None:
    # GIVEN the golden run's answer as saved in tables/advice.csv
    table = pd.read_csv(GOLDEN / "tables" / "advice.csv")
    answer = Answer.from_table(table)
    assert answer is not None
    # WHEN written and read again THEN it is the same answer, headline included
    write_table(tmp_path, "advice", answer.to_table())
    again = Answer.from_table(pd.read_csv(tmp_path / "tables" / "advice.csv"))
    assert again == answer
    assert answer.headline() == table.loc[table["kind"] == "answer", "text"].iloc[0]
    assert answer.model == "threads" and len(answer.evidence) == 2
